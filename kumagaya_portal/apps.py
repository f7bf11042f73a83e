from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kumagaya_portal"
    verbose_name = "Kumagaya portal"
