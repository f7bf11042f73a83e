from django.conf import settings


def portal(request):
    return {"OFFICIAL_SITE_URL": settings.OFFICIAL_SITE_URL}
