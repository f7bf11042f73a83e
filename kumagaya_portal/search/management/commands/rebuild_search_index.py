from django.core.management.base import BaseCommand

from kumagaya_portal.search.indexing import rebuild


class Command(BaseCommand):
    help = "Rebuild the Japanese search index (official pages, archive records, threads and posts)."

    def handle(self, *args, **options):
        counts = rebuild(log=lambda msg: self.stdout.write(msg) if options["verbosity"] > 1 else None)
        self.stdout.write(
            self.style.SUCCESS(
                "indexed {pages} pages, {records} archive records, {threads} threads, {posts} posts".format(**counts)
            )
        )
