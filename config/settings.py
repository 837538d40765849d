"""Suqiu settings: one module, every value from the environment with a safe local default.

Locally (nothing set) Suqiu runs on an SQLite file and a file-system Celery broker under
`var/`, so `make run` needs no server. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
FIELD_ENCRYPTION_KEY, ALLOWED_HOSTS and DEBUG=false (see README, "Configuration"); without the
keys it refuses to start, and it writes no file at import.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import envbool, envint, envlist, envrate, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
# Local data: the SQLite file, the file-system broker, a DEBUG run's keys. Created only when one
# of those needs it: in production (DEBUG=false, PostgreSQL, Redis) the settings write nothing.
VAR_DIR = Path(envstr("SUQIU_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)


def _local_secret(name: str, filename: str, generate: Callable[[], str], how: str) -> str:
    """The secret `name` from the environment. Without it, a DEBUG run (`make run`) generates one
    once and keeps it in var/ (mode 600) across restarts. Outside DEBUG the settings never write
    a secret (an image built with `collectstatic` would carry it): they read the one a DEBUG run
    left in var/, or stop and say what to set."""
    value = envstr(name)
    if value:
        return value
    path = VAR_DIR / filename
    if not path.exists():
        if not DEBUG:
            raise ImproperlyConfigured(
                f"{name} is not set. Set it in the environment in production (DEBUG=false): {how}. "
                f"Only a local DEBUG run (make run) generates one, kept in {path}."
            )
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # Web, worker and beat may start together: publish one complete file with a hard link
        # (fails if another process got there first), never two different secrets.
        draft = VAR_DIR / f".{filename}.{secrets.token_hex(8)}"
        draft.write_text(generate())
        draft.chmod(0o600)
        try:
            path.hardlink_to(draft)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = _local_secret(
    "SECRET_KEY",
    "secret_key",
    lambda: secrets.token_urlsafe(50),
    "50 or more random characters, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))'",
)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "config.apps.PlatformConfig",
    "stations",
    "petitions",
    "evaluations",
    "grievances",
    "rest_framework_api_key",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The security headers go above WhiteNoise so that static files carry them too.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.LanguageMiddleware",
    # A request without the resident's address behind the proxy: 400, not django-ratelimit's 500.
    "config.middleware.ClientAddressMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign out idle or too old sessions, then hold back staff who still owe their 2FA code.
    "config.middleware.SessionTimeoutMiddleware",
    "stations.otp.TwoFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must come last: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "grievances.context_processors.portal",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------
# DATABASE_URL=postgres://user:pass@host:5432/suqiu in production; an SQLite file locally.
DATABASE_URL = envstr("DATABASE_URL")
if not DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the local shape: an SQLite file in var/
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'suqiu.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share the file: WAL lets readers run beside one
    # writer, IMMEDIATE transactions queue writers instead of failing with "locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # SQLite keeps no unique constraint whose NULLs are equal (the statistics cells' days late,
    # NULL for an imported case): the rollup replaces a day's cells whole under a lock, and
    # PostgreSQL, the production database, holds the constraint besides.
    SILENCED_SYSTEM_CHECKS = ["models.W047"]
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "stations.User"


# --- Encryption of personal data at rest (docs/operations.md, "The encryption key") ------
def _field_encryption_keys() -> list[str]:
    """FIELD_ENCRYPTION_KEY: Fernet keys, newest first (the first encrypts, all decrypt); a
    DEBUG run's key is generated once and kept in var/. Lose every key and the ID numbers are lost."""
    from cryptography.fernet import Fernet

    keys = envlist("FIELD_ENCRYPTION_KEY") or [
        _local_secret(
            "FIELD_ENCRYPTION_KEY",
            "field_encryption_key",
            lambda: Fernet.generate_key().decode(),
            "a Fernet key, e.g. python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'"
            ", and keep a copy apart from the backups (docs/operations.md, The encryption key)",
        )
    ]
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64-encoded bytes), comma-separated"
            ) from None
    return keys


FIELD_ENCRYPTION_KEYS = _field_encryption_keys()

# --- Redis: cache and Celery broker ------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": envstr("CACHE_KEY_PREFIX", "suqiu"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", REDIS_URL or "filesystem://localhost//")
SUQIU_VISIBILITY_TIMEOUT = envint("CELERY_VISIBILITY_TIMEOUT", 30)
CELERY_BROKER_FOLDER = VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker that needs no server: producers and consumers share one folder of messages.
    for sub in ("queue", "processed", "control"):
        (CELERY_BROKER_FOLDER / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_processed": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": SUQIU_VISIBILITY_TIMEOUT,
        # Look for such messages every 5 s (kombu's default scans every 100 s).
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
    }
CELERY_TASK_IGNORE_RESULT = True
# A message is acknowledged when its task ends (acks late, one message a process at a time). If
# the worker dies first, Redis hands the message to another worker once it has been out
# CELERY_VISIBILITY_TIMEOUT seconds: a sweep a killed worker had begun is finished by another
# within about 35 s (docs/jobs.md, "When a worker dies").
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task still running when its message's visibility ends is delivered a second time. So every
# task is stopped before that (the soft limit raises inside it, the hard limit ends its process
# and acknowledges the message), except those a second delivery does no harm to (below).
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", SUQIU_VISIBILITY_TIMEOUT * 5 // 6)
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", CELERY_TASK_TIME_LIMIT * 4 // 5)
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < SUQIU_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "Celery time limits must be 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < "
        f"CELERY_VISIBILITY_TIMEOUT, not {CELERY_TASK_SOFT_TIME_LIMIT} < {CELERY_TASK_TIME_LIMIT} < "
        f"{SUQIU_VISIBILITY_TIMEOUT} (docs/jobs.md)"
    )
SUQIU_LONG_TASK_TIME_LIMIT = envint("CELERY_LONG_TASK_TIME_LIMIT", 900)
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "config.celery:BeatScheduler"  # makes var/ for that file if need be
CELERY_BEAT_SCHEDULE = {
    "purge-expired-sessions": {
        "task": "stations.tasks.purge_expired_sessions",
        "schedule": timedelta(hours=6),
    },
    "purge-old-sign-in-records": {
        "task": "stations.tasks.purge_old_sign_in_records",
        "schedule": timedelta(days=1),
    },
    # The jobs that keep every case moving (docs/jobs.md); times are China time.
    "remind-due-soon": {"task": "petitions.tasks.remind_due_soon", "schedule": crontab(minute=0, hour=8)},
    "escalate-overdue": {"task": "petitions.tasks.escalate_overdue", "schedule": crontab(minute=5)},
    "close-unrated-replies": {"task": "petitions.tasks.close_unrated_replies", "schedule": crontab(minute=0, hour=2)},
    "chase-co-handling-units": {
        "task": "petitions.tasks.chase_co_handling_units",
        "schedule": crontab(minute=30, hour=8),
    },
    "chase-pending-extensions": {
        "task": "petitions.tasks.chase_pending_extensions",
        "schedule": crontab(minute=0, hour=9),
    },
    "mark-unanswered-notices": {"task": "petitions.tasks.mark_unanswered_notices", "schedule": crontab(minute=15)},
    # Five-level linkage (docs/linkage.md): reports due soon, and those past their due date.
    "remind-referral-reports": {
        "task": "petitions.tasks.remind_referral_reports",
        "schedule": crontab(minute=10, hour=8),
    },
    "chase-overdue-referrals": {"task": "petitions.tasks.chase_overdue_referrals", "schedule": crontab(minute=25)},
    "chase-overdue-rectifications": {
        "task": "evaluations.tasks.chase_overdue_rectifications",
        "schedule": crontab(minute=45, hour=8),
    },
    # The statistics rollup (docs/statistics.md): after midnight, China time.
    "rollup-statistics": {"task": "grievances.tasks.rollup_statistics", "schedule": crontab(minute=20, hour=1)},
    # The hotspots (docs/statistics.md, "Hotspots"): found again, and the leaders told, nightly.
    "refresh-hotspots": {"task": "grievances.tasks.refresh_hotspots", "schedule": crontab(minute=50, hour=1)},
}
# The tasks that may run past the visibility timeout, because a second delivery while the first
# still runs repeats nothing (docs/jobs.md): every job of the schedule above (each claims its
# rows with SKIP LOCKED and re-checks them, or changes them with a conditional UPDATE, or
# replaces a day's rollup whole under a lock) and the sending of notifications (each row is
# locked and marked sent). A new periodic job must be as idempotent. The ledger export is not
# (two copies would write one file): it is acknowledged on receipt, never delivered twice, and a
# worker that dies loses it (the user asks again).
SUQIU_IDEMPOTENT_TASKS = sorted(
    {entry["task"] for entry in CELERY_BEAT_SCHEDULE.values()}
    | {"petitions.tasks.send_notifications", "petitions.tasks.send_notification", "petitions.tasks.escalate_petition"}
    # The import of a county's past: a second delivery finds the job locked while it runs, done
    # once it is, and its cases written (their client reference) if it died after the commit.
    | {"grievances.tasks.import_history"}
)
_long = {"time_limit": SUQIU_LONG_TASK_TIME_LIMIT, "soft_time_limit": SUQIU_LONG_TASK_TIME_LIMIT * 29 // 30}
CELERY_TASK_ANNOTATIONS = {
    **dict.fromkeys(SUQIU_IDEMPOTENT_TASKS, _long),
    "grievances.tasks.export_ledger": {**_long, "acks_late": False},
}

# --- Sign-in, lockout and passwords -----------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out account is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "stations:login"
LOGIN_REDIRECT_URL = "grievances:staff_home"
LOGOUT_REDIRECT_URL = "stations:login"

AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 30))
# Lock the account on this address: a wrong password typed at one village desk cannot
# lock a colleague out everywhere, and guessing one account from one address stops at 5.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "stations.views.locked_out"
AXES_ACCESS_LOG_DAYS = envint("SIGN_IN_LOG_DAYS", 180)

PASSWORD_HASHERS = [
    # Argon2id (m = 19 MiB, t = 2, p = 1: stations/hashers.py says why) for every new or
    # changed password; the others only check (and on the next sign-in upgrade) hashes
    # written before Argon2 was the default.
    "stations.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Sessions (docs/security.md): signed out after SESSION_IDLE_MINUTES without a request, and
# SESSION_HOURS after signing in whatever the activity (config.middleware.SessionTimeoutMiddleware).
SESSION_HOURS = envint("SESSION_HOURS", 10)
SESSION_IDLE_MINUTES = envint("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "config.error_pages.csrf_failure"  # the 403 page in the reader's language

# Two-factor sign-in (TOTP, django-otp): required of commission staff, administrators and
# superusers (stations.otp.two_factor_required); anyone else may turn it on. Turning
# TWO_FACTOR_REQUIRED off is for a demo on a laptop only.
SUQIU_TWO_FACTOR_REQUIRED = envbool("TWO_FACTOR_REQUIRED", True)
OTP_TOTP_ISSUER = envstr("OTP_ISSUER", "Suqiu")
OTP_TOTP_THROTTLE_FACTOR = envint("OTP_THROTTLE_FACTOR", 1)  # waits of 1, 2, 4, 8 … s after wrong codes
OTP_LOGIN_URL = "stations:two_factor_verify"
# The admin lists who has a device but never shows its key or QR code: an administrator
# must not be able to copy a supervisor's second factor.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Security: TLS, cookies and response headers (docs/security.md) ----------------------
# HTTPS=true when Suqiu is served over TLS (it should be, anywhere but a laptop): cookies
# are sent over TLS only, plain HTTP is redirected and browsers are told to stay on HTTPS.
HTTPS = envbool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = envbool("SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer's health check may speak plain HTTP
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", HTTPS)
# Behind a reverse proxy that ends TLS, the header it sets to say the request came over
# HTTPS, e.g. PROXY_SSL_HEADER=X-Forwarded-Proto. Only set it when the proxy always sets
# (or strips) that header itself: a client could otherwise claim HTTPS.
_proxy_ssl_header = envstr("PROXY_SSL_HEADER")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): everything from this site only; no inline script,
# no inline style (scripts and styles live in static/); images may be data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy (django-permissions-policy): no page of Suqiu needs these features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# --- Languages and time -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "suqiu_language"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: vendored, served by the app (no CDN on a closed intranet) ------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "stations.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    # DRF's parsers, refusing a malformed or too deeply nested body in the reader's language.
    "DEFAULT_PARSER_CLASSES": [
        "config.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "config.api.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Integrations (docs/integrations.md): each API key has its own rate (Integration.rate);
    # the public Open311 reads are limited per address.
    "DEFAULT_THROTTLE_RATES": {"open311_read": envstr("OPEN311_READ_RATE_PER_ADDRESS", "600/hour")},
}
# API tokens (docs/security.md, stations.tokens): django-rest-knox, stored as a digest, sent
# as `Authorization: Token <token>`; each lives API_TOKEN_HOURS from issue, like a session.
API_TOKEN_HOURS = envint("API_TOKEN_HOURS", 10, minimum=1)
KNOX_TOKEN_MODEL = "stations.ApiToken"
# knox's own migrations create its default token table even when the model is swapped out: an
# unused table with a key to the users, which a test's flush cannot truncate. Without them the
# swapped-out model gets no table at all.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(hours=API_TOKEN_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Suqiu API",
    "DESCRIPTION": "Grievance portal for county governments and discipline commissions (诉求).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UnitKindEnum": "stations.models.Unit.Kind",
        "DispositionKindEnum": "petitions.models.Disposition.Kind",
        "SanctionEnum": "petitions.models.Disposition.Sanction",
        "ReferralStatusEnum": "petitions.models.Referral.Status",
        "StatusEnum": "petitions.models.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.postprocess_empty_query_values",
    ],
}

# --- Logging: to stdout, collected by the process manager --------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- The portal -------------------------------------------------------------------------
SUQIU_SITE_NAME = _("Suqiu grievance portal")
SUQIU_MAX_ATTACHMENT_BYTES = envint("ATTACHMENT_MAX_MB", 10) * 1024 * 1024

# --- Deadlines, supervision and notifications (docs/jobs.md) ----------------------------
# Remind the holding unit this many working days before a deadline, and on the day (0).
SUQIU_REMIND_WORKING_DAYS = [int(days) for days in envlist("REMIND_WORKING_DAYS", ["3", "0"])]
SUQIU_NOTICE_DAYS = envint("NOTICE_DAYS", 5)  # working days to answer a supervision notice
SUQIU_REFERRAL_REPORT_DAYS = envint("REFERRAL_REPORT_DAYS", 15)  # working days to report on a case handed down
# A case received longer ago than this (a paper ledger, an offline desk) is registered with a reason.
SUQIU_RECEIVED_WINDOW_DAYS = envint("RECEIVED_WINDOW_DAYS", 90)
SUQIU_EXTENSION_CHASE_DAYS = envint("EXTENSION_CHASE_DAYS", 2)  # working days before supervisors are chased
SUQIU_JOB_BATCH_SIZE = envint("JOB_BATCH_SIZE", 500)  # ids a sweep reads at a time
# Threads that share one escalation sweep, each on its own connection claiming its own chunks.
SUQIU_SWEEP_THREADS = envint("SWEEP_THREADS", 2)
# Seconds a web worker keeps its copy of categories, the holiday calendar, villages and intake
# centres before reading them again (config/refcache.py); a change made in the same process
# applies at once. 0 reads them on every use.
REFCACHE_SECONDS = envint("REFCACHE_SECONDS", 30)
# Statistics (docs/statistics.md): days the nightly rollup counts again; ledger exports with
# more rows than this run as a background job and leave a file to download.
SUQIU_STATS_ROLLUP_DAYS = envint("STATS_ROLLUP_DAYS", 120)
SUQIU_EXPORT_SYNC_MAX_ROWS = envint("EXPORT_SYNC_MAX_ROWS", 5000)
# Hotspots (docs/statistics.md, "Hotspots"): clusters of similar grievances among the cases of
# the last HOTSPOT_DAYS days, linked at a word similarity of HOTSPOT_SIMILARITY_PERCENT (the
# middle of the range that separated the measured sentences), listed from HOTSPOT_MIN_CASES
# cases, told to the township's leaders once at HOTSPOT_ALERT_CASES; a person is "back again"
# from RETURNING_VISITS cases.
SUQIU_HOTSPOT_DAYS = envint("HOTSPOT_DAYS", 90, minimum=1)
SUQIU_HOTSPOT_SIMILARITY_PERCENT = envint("HOTSPOT_SIMILARITY_PERCENT", 28, minimum=1)
SUQIU_HOTSPOT_MIN_CASES = envint("HOTSPOT_MIN_CASES", 3, minimum=2)
SUQIU_HOTSPOT_ALERT_CASES = envint("HOTSPOT_ALERT_CASES", 5, minimum=2)
SUQIU_RETURNING_VISITS = envint("RETURNING_VISITS", 3, minimum=2)
SUQIU_SITE_URL = envstr("SITE_URL", "")  # prefixed to links in SMS and e-mail
EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "suqiu@localhost")
SUQIU_SMS_BACKEND = envstr("SUQIU_SMS_BACKEND", "petitions.notifications.LoggingBackend")
SUQIU_EMAIL_BACKEND = envstr(
    "SUQIU_EMAIL_BACKEND",
    "petitions.notifications.DjangoEmailBackend" if EMAIL_HOST else "petitions.notifications.LoggingBackend",
)
# A body over these limits (files not counted in the size) is a 400 with a message
# (config/error_pages.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- The resident portal: rate limits, counted in the default cache ------------------------
# Redis when REDIS_URL is set; the local LocMemCache counts per process only (fine for one).
# The lookup's count failed proofs only (wrong code or no such case, alike): per tracking
# number and address (also per device that proved the case before), per address across
# cases, per tracking number from all addresses (grievances/portal/throttle.py; the arithmetic in
# docs/security.md "Resident lookup limits").
SUQIU_LOOKUP_RATE_PER_CASE_ADDRESS = envrate("LOOKUP_RATE_PER_CASE_ADDRESS", "10/h")
SUQIU_LOOKUP_RATE_PER_ADDRESS = envrate("LOOKUP_RATE_PER_ADDRESS", "100/d")
SUQIU_LOOKUP_RATE_PER_CASE = envrate("LOOKUP_RATE_PER_CASE", "100/d")
SUQIU_SUBMIT_RATE_PER_ADDRESS = envstr("SUBMIT_RATE_PER_ADDRESS", "10/h")
SUQIU_APPRAISAL_ANSWER_RATE_PER_ADDRESS = envstr("APPRAISAL_ANSWER_RATE_PER_ADDRESS", "30/h")
# The walk-in desk's lookup of a returning resident by phone (petitions/desk.py), per clerk:
# a day's walk-ins ask a few times each; a clerk sweeping numbers is stopped.
SUQIU_DESK_LOOKUP_RATE_PER_USER = envstr("DESK_LOOKUP_RATE_PER_USER", "120/h")
# Behind a proxy, the header that carries the resident's address, e.g. HTTP_X_REAL_IP
# (set by the proxy, never by the client); unset: REMOTE_ADDR. A request without it is
# refused with a 400 (config.middleware.ClientAddressMiddleware).
RATELIMIT_IP_META_KEY = envstr("RATELIMIT_IP_META_KEY") or None

# --- Integrations: API keys and the Open311 adapter (docs/integrations.md) ---------------
# The rate a new key gets unless its issuer sets another ("<number>/<second|minute|hour|day>").
SUQIU_INTEGRATION_DEFAULT_RATE = envstr("INTEGRATION_DEFAULT_RATE", "600/hour")
