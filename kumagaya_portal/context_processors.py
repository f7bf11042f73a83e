from django.conf import settings
from django.utils.translation import gettext_lazy as _

SITE_NAME = _("熊谷市 Webコモンスペース")


def portal(request):
    return {"OFFICIAL_SITE_URL": settings.OFFICIAL_SITE_URL, "SITE_NAME": SITE_NAME}
