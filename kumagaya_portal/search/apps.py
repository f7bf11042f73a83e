from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "kumagaya_portal.search"
    label = "portal_search"
    verbose_name = _("サイト内検索")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals

        signals.connect()
        post_migrate.connect(signals.index_if_empty, sender=self, dispatch_uid="search_index_if_empty")
