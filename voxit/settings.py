"""Voxit settings: one typed environment schema with a safe default for every variable.

With nothing set, Voxit runs on SQLite in ``data/`` with background work done in-process
(Celery eager). ``DATABASE_URL`` switches to PostgreSQL, ``CELERY_BROKER_URL`` / ``REDIS_URL``
to a real broker with Celery workers. A malformed value fails loudly at start.
"""

import logging
import os
import warnings
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    SECRET_KEY=(str, ""),
    SECRET_KEY_FALLBACKS=(list, []),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    DATABASE_URL=(str, f"sqlite:///{BASE_DIR / 'data' / 'voxit.sqlite3'}"),
    DATABASE_CONN_MAX_AGE=(int, 60),
    REDIS_URL=(str, ""),
    CELERY_BROKER_URL=(str, ""),
    RECLUSTER_WORKER_NICENESS=(int, 19),
    RECLUSTER_WORKER_THREADS=(int, 1),
    TIME_ZONE=(str, "Europe/Helsinki"),
    SECURE_COOKIES=(bool, False),
    HTTPS=(bool, False),
    HSTS_SECONDS=(int, 31536000),
    HSTS_PRELOAD=(bool, True),
    EMBED_HOSTS=(list, []),
    EMAIL_URL=(str, "consolemail://"),
    DEFAULT_FROM_EMAIL=(str, "voxit@localhost"),
    MODERATION_DIGEST_ENABLED=(bool, True),
    SITE_URL=(str, ""),
    MODERATION_DIGEST_MINUTES=(int, 60),
    RECLUSTER_SWEEP_MINUTES=(int, 2),
    RECLUSTER_DELAY_SECONDS=(float, 2.0),
    RECLUSTER_IN_PROCESS=(str, "thread"),
    LOG_LEVEL=(str, "INFO"),
    DATABASE_HEALTH_CHECKS=(bool, True),
    TRUSTED_PROXY_COUNT=(int, 0),
    RATE_LIMIT_VOTES_PER_MINUTE=(int, 120),
    RATE_LIMIT_IP_VOTES_PER_MINUTE=(int, 3000),
    RATE_LIMIT_STATEMENTS_PER_HOUR=(int, 20),
    RATE_LIMIT_IP_STATEMENTS_PER_HOUR=(int, 300),
    LOGIN_FAILURES_LIMIT=(int, 5),
    LOGIN_LOCKOUT_MINUTES=(int, 15),
    DATA_UPLOAD_MAX_MEMORY_SIZE=(int, 2_621_440),
    PARTICIPANT_LINK_RETENTION_DAYS=(int, 30),
)
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(str(env_file))

# django-environ reads any word but a "true" one as false, and a bad number or URL surfaces as a
# traceback that does not name the variable: check every value set, and name the one at fault.
_NO_WORDS = ("false", "off", "no", "n", "0", "")
for _name, (_cast, _default) in env.scheme.items():
    _raw = os.environ.get(_name)
    if _raw is None:
        continue
    if _cast is bool and _raw.strip().lower() not in (*environ.Env.BOOLEAN_TRUE_STRINGS, *_NO_WORDS):
        raise ImproperlyConfigured(f"{_name}={_raw!r} is not a yes/no value: set it to true or false.")
    if _cast in (int, float):
        try:
            _number = _cast(_raw)
        except ValueError:
            raise ImproperlyConfigured(f"{_name}={_raw!r} is not a number.") from None
        if _number < 0 and _name != "RECLUSTER_WORKER_NICENESS":
            raise ImproperlyConfigured(f"{_name}={_raw!r} cannot be negative (0 turns a limit or schedule off).")
for _name in ("REDIS_URL", "CELERY_BROKER_URL"):
    _raw = os.environ.get(_name, "").strip()
    if _raw and not _raw.startswith(("redis://", "rediss://", "unix://")):
        # The value is not repeated: a URL may carry a password.
        raise ImproperlyConfigured(f"{_name} is not a Redis URL (redis://host:6379/0).")
if env("LOG_LEVEL").upper() not in logging.getLevelNamesMapping():
    raise ImproperlyConfigured(f"LOG_LEVEL={env('LOG_LEVEL')!r}: use DEBUG, INFO, WARNING or ERROR.")

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or set DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug"
# Rotating SECRET_KEY: list the old key here for a while, or every resident's signed participant
# cookie stops being recognised (they would start again as new participants) and staff are logged out.
SECRET_KEY_FALLBACKS = env("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "statements",
    "moderation",
    "clustering",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "voxit.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "voxit.middleware.LanguageMiddleware",
    "statements.ratelimit.RequestBodyLimitMiddleware",
    "statements.participants.ParticipantCookieMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "voxit.middleware.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "voxit.urls"
WSGI_APPLICATION = "voxit.wsgi.application"

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
            ],
        },
    },
]

try:
    with warnings.catch_warnings():  # django-environ's warning would print the URL, password and all
        warnings.simplefilter("ignore")
        DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"]["ENGINE"]
except (KeyError, ValueError):
    raise ImproperlyConfigured(
        "DATABASE_URL is not a database URL "
        "(postgres://user:password@host:5432/name, or sqlite:///path); "
        "a password with @ : / # ? or % must be percent-encoded"
    ) from None
DATABASES["default"]["CONN_MAX_AGE"] = env("DATABASE_CONN_MAX_AGE")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the in-process recompute read while a request writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
    # A transaction takes SQLite's write lock when it begins, so it waits (the timeout above) for
    # the in-process recompute's writes. Begun deferred, one that read first and then wrote while
    # the recompute was writing failed at once with "database is locked" (SQLite cannot wait
    # there without breaking its snapshot): a bulk decision a moment after another, say.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
else:
    # Without a health check the first request on a connection the server dropped fails (with the
    # 503 page) and the next one reconnects. Voxit's check polls the socket: no round trip.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env("DATABASE_HEALTH_CHECKS")
USES_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if USES_POSTGRES:
    # Django's backend with a health check that polls the socket instead of a SELECT 1 round trip
    # per request (voxit/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "voxit.postgresql"
    # Django turns psycopg's prepared statements off altogether (prepare_threshold None), and then
    # even an explicit ``prepare=True`` is ignored. A threshold no query reaches keeps Django's
    # own queries unprepared while the vote statement, which asks for it, is planned once per
    # connection instead of on every vote (planning it costs more than running it). Behind
    # PgBouncer in transaction mode this needs its max_prepared_statements (1.21+).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "moderation:dashboard"
LOGOUT_REDIRECT_URL = "statements:conversation_list"

LANGUAGE_CODE = "fi"
# Date formats per language (voxit/formats): the month as a word in English.
FORMAT_MODULE_PATH = ["voxit.formats"]
LANGUAGES = [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]
LANGUAGE_COOKIE_NAME = "voxit_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "voxit" / "locale"]
USE_I18N = True
TIME_ZONE = env("TIME_ZONE")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# Residents are recognised by a signed, HttpOnly cookie carrying a random browser token.
PARTICIPANT_COOKIE_NAME = "voxit_participant"
PARTICIPANT_COOKIE_AGE = 365 * 24 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# HTTPS=true (production behind the city's TLS proxy) turns on every transport protection.
HTTPS = env("HTTPS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PARTICIPANT_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = (
    HTTPS or env("SECURE_COOKIES")
)
LANGUAGE_COOKIE_HTTPONLY = True  # read by the server only (no script of ours reads cookies)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = env("HSTS_SECONDS")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env("HSTS_PRELOAD")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Conversations may be embedded (iframe) only on the hosts the city lists; nothing else frames Voxit.
EMBED_HOSTS = env("EMBED_HOSTS")
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "voxit.views.csrf_failure"
# Inside a cross-site iframe browsers send only SameSite=None cookies, and those only when Secure.
# So with embedding hosts behind HTTPS the residents' cookies (participant, CSRF, language) are
# SameSite=None; CSRF stays protected by its token and Origin check. Staff sessions stay Lax.
if EMBED_HOSTS and HTTPS:
    PARTICIPANT_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "None"
else:
    PARTICIPANT_COOKIE_SAMESITE = "Lax"
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
    # Conversation pages (/c/...) get EMBED_HOSTS here instead (voxit.security); nothing else.
    "frame-ancestors": "'none'",
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "statements.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "statements.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Voxit API",
    "DESCRIPTION": "Residents' API of Voxit: conversations, next statement, votes, statements.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Celery: no broker configured means tasks run in-process, after commit, in the same thread.
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or env("REDIS_URL")
CELERY_ENABLED = bool(CELERY_BROKER_URL)
if not CELERY_ENABLED:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
RECLUSTER_WORKER_NICENESS = env("RECLUSTER_WORKER_NICENESS")
RECLUSTER_WORKER_THREADS = env("RECLUSTER_WORKER_THREADS")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fix-up closes the database connection before and after every task, so each
# recompute (one every debounce under a rush) made PostgreSQL start a new backend. Connections are
# kept instead and checked between tasks as Django checks them between requests (voxit/celery.py).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_BEAT_SCHEDULE = {}
REDIS_URL = env("REDIS_URL") or (CELERY_BROKER_URL if CELERY_ENABLED else "")

# Rate-limit and login-throttle counters. Per process without Redis (each gunicorn worker counts on
# its own, so a limit is at most workers x the setting); shared and exact with Redis.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "voxit",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "voxit"}}
# Behind the city's TLS proxy every request comes from the proxy: count addresses from the
# X-Forwarded-For entries the trusted proxies appended (0: use the connection's address).
TRUSTED_PROXY_COUNT = env("TRUSTED_PROXY_COUNT")
# Per participant and per address; 0 switches a limit off. Moderators and staff are never limited.
RATE_LIMIT_VOTES_PER_MINUTE = env("RATE_LIMIT_VOTES_PER_MINUTE")
RATE_LIMIT_IP_VOTES_PER_MINUTE = env("RATE_LIMIT_IP_VOTES_PER_MINUTE")
RATE_LIMIT_STATEMENTS_PER_HOUR = env("RATE_LIMIT_STATEMENTS_PER_HOUR")
RATE_LIMIT_IP_STATEMENTS_PER_HOUR = env("RATE_LIMIT_IP_STATEMENTS_PER_HOUR")
# Failed logins per username and address before a temporary lockout (per address: ten times that).
LOGIN_FAILURES_LIMIT = env("LOGIN_FAILURES_LIMIT")
LOGIN_LOCKOUT_MINUTES = env("LOGIN_LOCKOUT_MINUTES")
# A statement is at most 1000 characters: a request body larger than this is refused with a 413/400
# page before it is read into memory (uploads, e.g. seed files, stream to disk beyond it).
DATA_UPLOAD_MAX_MEMORY_SIZE = env("DATA_UPLOAD_MAX_MEMORY_SIZE")
# After a conversation closes, the link from a browser's cookie to its participant is erased after
# this many days (the answers stay, pseudonymous); see statements.privacy.
PARTICIPANT_LINK_RETENTION_DAYS = env("PARTICIPANT_LINK_RETENTION_DAYS")
CELERY_BEAT_SCHEDULE["participant-links-expire"] = {
    "task": "statements.participant_links_expire",
    "schedule": 6 * 3600,
}

EMAIL_CONFIG = env.email_url("EMAIL_URL")
globals().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL")
MODERATION_DIGEST_ENABLED = env("MODERATION_DIGEST_ENABLED")
# The address residents and staff reach Voxit at (https://voxit.example.fi): links in e-mail
# need it, since a message has no page to be relative to.
SITE_URL = env("SITE_URL").rstrip("/")
MODERATION_DIGEST_MINUTES = env("MODERATION_DIGEST_MINUTES")
RECLUSTER_SWEEP_MINUTES = env("RECLUSTER_SWEEP_MINUTES")
# Without a broker: "thread" recomputes in a background thread (votes answer at once),
# "inline" right after the commit in the request itself.
RECLUSTER_IN_PROCESS = env("RECLUSTER_IN_PROCESS")
if RECLUSTER_IN_PROCESS not in ("thread", "inline"):
    raise ImproperlyConfigured("RECLUSTER_IN_PROCESS must be 'thread' or 'inline'.")
# Digest of statements due within 4 working hours or overdue; sends nothing when nothing is due.
if MODERATION_DIGEST_ENABLED and MODERATION_DIGEST_MINUTES > 0:
    CELERY_BEAT_SCHEDULE["moderation-digest"] = {
        "task": "moderation.digest",
        "schedule": MODERATION_DIGEST_MINUTES * 60,
    }
# Safety net for lost recompute triggers (e.g. Redis was down when a vote came in); 0 turns it off.
if RECLUSTER_SWEEP_MINUTES > 0:
    CELERY_BEAT_SCHEDULE["recluster-sweep"] = {
        "task": "clustering.recluster_sweep",
        "schedule": RECLUSTER_SWEEP_MINUTES * 60,
    }
# Debounce: a burst of votes becomes one run, this long after the first of them.
RECLUSTER_DELAY_SECONDS = env("RECLUSTER_DELAY_SECONDS")  # never negative: checked above

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d: %(message)s"},
        # A request for a host not in ALLOWED_HOSTS (scanners send many): one line, no traceback.
        "brief": {"()": "voxit.log.BriefFormatter", "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line"},
        "brief": {"class": "logging.StreamHandler", "formatter": "brief"},
    },
    "loggers": {
        "django.security.DisallowedHost": {"handlers": ["brief"], "level": "WARNING", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL").upper()},
}
