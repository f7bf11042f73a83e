# Production image for docker-compose.yml: gunicorn serves the portal, the same image runs
# Celery worker and beat. Static files are collected at build time and served by whitenoise.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Exact versions from the lock file (psycopg's binary wheel brings libpq; no compiler needed).
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .

# Translations (.mo) are committed; static files are collected with production storage.
RUN DEBUG=0 SECRET_KEY=build-only-not-secret-collectstatic ALLOWED_HOSTS=localhost \
        DATABASE_URL=sqlite:////tmp/build.sqlite3 \
        python manage.py collectstatic --noinput -v0 \
    && useradd --create-home --uid 10001 portal \
    && mkdir -p var/media var/private \
    && chown -R portal:portal var

USER portal
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD ["python", "-m", "kumagaya_portal.healthcheck"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "kumagaya_portal.wsgi"]
