"""The environment every benchmark process shares: the database, Redis, the secret and the
rate limits of the benchmark server. Imported before Django is set up."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VAR = BENCH / "var"
RESULTS = BENCH / "results"

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("BENCH_PG_PORT", "5432")
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
DB_NAME = os.environ.get("BENCH_DB", "suqiu_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
PORT = int(os.environ.get("BENCH_PORT", "8700"))
# What the load client reads about one generated database (tokens, sampled codes).
FIXTURES = VAR / DB_NAME

# The generated province's query codes are derived from this key (bench data only).
SECRET_KEY = "suqiu-bench-only-not-a-production-secret-0123456789abcdef"
# Production settings refuse to start without an encryption key: the benchmark's own (bench data only).
FIELD_ENCRYPTION_KEY = "YmVuY2gtb25seS1ub3QtYS1wcm9kdWN0aW9uLWtleSE="


def database_url(name: str = DB_NAME) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def django_env(db_name: str = DB_NAME) -> dict[str, str]:
    """Production-like settings: DEBUG off, Redis cache, collected static files.

    The load comes from one address, so the per-address limits of the public portal are
    raised for the benchmark server. The lookup limits count wrong codes only and the lookup
    workload sends right ones: the per-case limits keep their defaults."""
    VAR.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(db_name),
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "SECRET_KEY": SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": FIELD_ENCRYPTION_KEY,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SUQIU_VAR_DIR": str(VAR),
        "STATIC_ROOT": str(VAR / "static"),
        "CACHE_KEY_PREFIX": "bench",
        "LOOKUP_RATE_PER_ADDRESS": "1000000/h",
        "SUBMIT_RATE_PER_ADDRESS": "1000000/h",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
