# The production image: gunicorn serving Django (static files by WhiteNoise), the same image
# runs the Celery worker and beat. Configuration comes from environment variables only.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SUQIU_VAR_DIR=/var/lib/suqiu \
    STATIC_ROOT=/app/staticfiles

# pg_dump / pg_restore for `manage.py backup` and `restore` (Debian 12: PostgreSQL 15, the
# same major version as the database service in docker-compose.yml).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --home-dir /app --shell /usr/sbin/nologin suqiu \
    && mkdir -p /app /var/lib/suqiu \
    && chown suqiu /var/lib/suqiu
WORKDIR /app

COPY pyproject.toml README.md ./
COPY config ./config
COPY stations ./stations
COPY petitions ./petitions
COPY evaluations ./evaluations
COPY grievances ./grievances
COPY integrations ./integrations
RUN pip install .

COPY . .
# collectstatic imports the settings, which (DEBUG off) refuse to start without their keys and
# never write one. It gets throwaway keys, made and forgotten inside this one command: no secret
# is in a layer, in the image's history or in /var/lib/suqiu, which seeds the media volume. The
# real keys reach the containers at start-up (docker-compose.yml). A named broker, so that the
# settings make no folders for the file-system one either.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    FIELD_ENCRYPTION_KEY="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    CELERY_BROKER_URL=memory:// \
    python manage.py collectstatic --noinput --verbosity 0

USER suqiu
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
