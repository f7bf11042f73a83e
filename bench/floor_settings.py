"""The floor: a bare Django app rendering 50 rows from the benchmark database.

Same database (DATABASE_URL), same persistent connections and health checks, same
gunicorn configuration as the portal; no middleware, no sessions, no i18n, one
template. `gunicorn -c gunicorn.conf.py bench.floor_wsgi` serves /floor/.
"""

import os

import dj_database_url

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY") or "floor-only-not-a-secret"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.floor_urls"
INSTALLED_APPS = ["bench"]
MIDDLEWARE: list[str] = []
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kumagaya_bench"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
USE_TZ = True
TIME_ZONE = "Asia/Tokyo"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
