from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    verbose_name = _("Webコモンスペース")

    def ready(self):
        # --- C2: invitations become the user's after login / e-mail confirmation
        from . import membership_signals  # noqa: F401
