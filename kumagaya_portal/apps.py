from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kumagaya_portal"
    verbose_name = "Kumagaya portal"

    def ready(self):
        from . import page_cache

        page_cache.connect_signals()
