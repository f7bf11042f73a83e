from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("モデレーション")

    def ready(self):
        from channels import hooks

        from . import holds

        for check in holds.CHECKS:
            hooks.register_post_check(check)
        hooks.register_after_hold(holds.on_hold)
        hooks.register_after_clean_edit(holds.on_clean_edit)
