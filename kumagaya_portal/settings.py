"""One settings module, configured by the environment (see README)."""

import os
import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# --------------------------------------------------------------------- core
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production settings (DEBUG=0) refuse to start "
            "without it: set SECRET_KEY to a long random string, for example the "
            "output of `python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    SECRET_KEY = "insecure-embedded-default-key-do-not-use-in-production-kumagaya"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
OFFICIAL_SITE_URL = env_str("OFFICIAL_SITE_URL", "https://www.city.kumagaya.lg.jp/")
TESTING = "pytest" in sys.modules or env_bool("TESTING", False)

INSTALLED_APPS = [
    "kumagaya_portal",
    "kumagaya_portal.accounts",
    "channels",
    "moderation",
    "archive",
    "cms",
    "kumagaya_portal.search",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    # Accounts and permissions
    "allauth",
    "allauth.account",
    "guardian",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # After the CSP middleware: the Wagtail admin gets settings.ADMIN_CSP (kumagaya_portal/csp.py).
    "kumagaya_portal.csp.AdminContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last: anonymous Wagtail pages from the cache (kumagaya_portal/page_cache.py).
    "kumagaya_portal.page_cache.PageCacheMiddleware",
]

ROOT_URLCONF = "kumagaya_portal.urls"
WSGI_APPLICATION = "kumagaya_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "kumagaya_portal.context_processors.portal",
            ],
        },
    },
]

# ----------------------------------------------------------------- database
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Embedded mode: writers queue (BEGIN IMMEDIATE, WAL) instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if USING_POSTGRES and env_bool("DB_PREPARED_STATEMENTS", True):
    # Server-side binding: psycopg prepares a statement after its 5th use on a connection, so
    # PostgreSQL stops planning the same joins on every request (bench.profile on the benchmark
    # data: thread page 89 → 86 ms, search 77 → 70 ms). Off (DB_PREPARED_STATEMENTS=0) behind a
    # transaction-mode PgBouncer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if USING_POSTGRES:  # Wagtail's search index uses its fields (check: postgres.E005)
    INSTALLED_APPS.append("django.contrib.postgres")

# -------------------------------------------------------------- redis/cache
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "kumagaya_portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "kumagaya"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions stay in the database alone (not cached_db): a sign-out during a Redis outage could
# not delete the cached copy, which would sign the user back in when Redis returns.

# ------------------------------------------------------------------- celery
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "socket_connect_timeout": 1}
CELERY_TIMEZONE = "Asia/Tokyo"
CELERY_BEAT_SCHEDULE: dict = {
    "drain-outbox": {"task": "kumagaya_portal.drain_outbox", "schedule": 30.0},
    # moderation: new queue items not yet announced, one e-mail per moderator
    "moderation-digest": {"task": "moderation.send_moderator_digest", "schedule": 3600.0},
    # channels (C2): the daily digest of followed channels and threads, 07:00 Asia/Tokyo (CELERY_TIMEZONE)
    "daily-digest": {"task": "channels.send_daily_digests", "schedule": crontab(hour=7, minute=0)},
}

# Wagtail's own background tasks (reference index, image renditions):
# run in the request in both modes; they are small and must never be lost.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --------------------------------------------------------------------- auth
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if DEBUG and TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/lab/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "kumagaya_portal.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "kumagaya_portal.accounts.forms.LoginForm",
    "signup": "kumagaya_portal.accounts.forms.SignupForm",
    "reset_password": "kumagaya_portal.accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "kumagaya_portal.accounts.forms.ResetPasswordKeyForm",
    "change_password": "kumagaya_portal.accounts.forms.ChangePasswordForm",
    "set_password": "kumagaya_portal.accounts.forms.SetPasswordForm",
    "add_email": "kumagaya_portal.accounts.forms.AddEmailForm",
}
# Never the e-mail: allauth shows this in messages and templates.
ACCOUNT_USER_DISPLAY = "kumagaya_portal.accounts.models.user_display"
if TESTING:
    # False switches allauth's limits off ({} would keep its defaults); with Redis the counters
    # would otherwise outlive each test. Production keeps allauth's defaults.
    ACCOUNT_RATE_LIMITS = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
GUARDIAN_RAISE_403 = False
GUARDIAN_MONKEY_PATCH_USER = False

# Current versions of the documents users confirm.
GUIDELINES_VERSION = "2024-10"

# ------------------------------------------------------------------- e-mail
# Django 6.1 mailers, from the usual environment variables (EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT,
# EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL, EMAIL_TIMEOUT).
# Send with `mail.mailers.default` or EmailMessage.send(); tests get Django's locmem outbox.
_EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "kumagaya_portal.mail.ReadableConsoleBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
_EMAIL_OPTIONS: dict = {}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    _EMAIL_OPTIONS = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 0) or None,  # None: 25, or 587 with TLS, 465 with SSL
        "username": env_str("EMAIL_HOST_USER") or None,
        "password": env_str("EMAIL_HOST_PASSWORD") or None,
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": env_int("EMAIL_TIMEOUT", 10),
    }
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Webコモンスペース <noreply@example.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ----------------------------------------------------------------- i18n/l10n
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------ static/media
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# ------------------------------------------------------------------ wagtail
WAGTAIL_SITE_NAME = "熊谷市 Webコモンスペース"
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_I18N_ENABLED = False
WAGTAIL_ALLOW_UNICODE_SLUGS = False  # official URLs stay ASCII (cms/slugs.py)
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no avatar URLs derived from e-mail addresses
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# ----------------------------------------------------------------- security
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "https:"],
    "frame-src": ["https:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
}
# The Wagtail admin (staff only, behind login): its inline scripts need 'unsafe-inline' (no nonce,
# which would switch it off) and it frames its own page previews.
ADMIN_CSP_PATHS = ["/cms-admin/"]
ADMIN_CSP = {
    **SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:", "https:"],
    "frame-src": [CSP.SELF, "https:"],
    "frame-ancestors": [CSP.SELF],
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# ------------------------------------------------------------------ logging
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "kumagaya_portal.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO" if not TESTING else "WARNING")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}

# ---------------------------------------------------------------- the portal
# Per-user posting limits (channels.ratelimit). POST_RATE_LIMITS=0 turns them off for load and failure tests.
if not env_bool("POST_RATE_LIMITS", True):
    CHANNELS_RATE_LIMITS = {"post": [], "edit": [], "join_request": []}
MODERATION_FLAG_THRESHOLD = env_int("MODERATION_FLAG_THRESHOLD", 3)
MODERATION_NEW_ACCOUNT_POSTS = env_int("MODERATION_NEW_ACCOUNT_POSTS", 2)
POSTS_PER_PAGE = 50
# Anonymous official pages from the cache for this long; publishing purges (0 = off; off in tests by default).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 0 if TESTING else 300)
THREADS_PER_PAGE = 30
