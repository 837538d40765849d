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
# collectstatic needs a SECRET_KEY to import the settings; this one is used for nothing else.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0

USER suqiu
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
