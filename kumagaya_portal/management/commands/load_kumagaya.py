from django.core.management.base import BaseCommand, CommandError

from kumagaya_portal.city_data import DATA_FILE, CityDataError, read_city_data
from kumagaya_portal.loader import load_city


class Command(BaseCommand):
    help = "Load Kumagaya City's structure from kumagaya_portal/data/kumagaya.toml (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DATA_FILE), help="path of the TOML file")

    def handle(self, *args, **options):
        from pathlib import Path

        try:
            data = read_city_data(Path(options["file"]))
        except CityDataError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from None
        counts = load_city(data)
        self.stdout.write(
            self.style.SUCCESS(
                "Loaded Kumagaya: {departments} departments, {channels} channels, {meetings} meeting records.".format(
                    **counts
                )
            )
        )
