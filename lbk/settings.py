"""Settings of Posko LBK: one file; every difference between machines comes from the environment.

See the configuration table in README.md for each variable, its default and what production needs.
"""

import secrets
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from lbk.storage import s3_storage

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# A fixed placeholder that must never reach production: with DEBUG off the app refuses it.
# Not a secret: a marker the check below refuses (bandit B105, ruff S105).
DEFAULT_SECRET_KEY = "insecure-default-secret-key-change-me"  # noqa: S105  # nosec B105
SECRET_KEY = env("SECRET_KEY", default=None)
if not SECRET_KEY and DEBUG:
    # Development: one random key per checkout, generated once and kept out of git.
    key_file = BASE_DIR / ".secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()
if not SECRET_KEY or SECRET_KEY == DEFAULT_SECRET_KEY:
    if DEBUG:
        SECRET_KEY = DEFAULT_SECRET_KEY
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the app refuses to start on a default key."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# How many reverse proxies (nginx: 1) stand in front of the app and append X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Benchmark runs only (`make bench`): adds the bare view /_bench/bare/ (ops/bench/views.py).
BENCH_VIEWS = env.bool("BENCH_VIEWS", default=False)

# Public base URL used in letters' QR codes (the verification page); no trailing slash.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "sequences",
    "csp",
    "django_tasks",
    "django_tasks_db",
    # Two-factor sign-in (TOTP devices; accounts/second_factor.py). Its device admin shows the
    # keys: AccountsConfig.ready() unregisters it.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "places",
    "accounts",
    "cases",
    "referrals",
    "mechanism",
    "attachments",
    "ops",
    "notifications",
    "outbox",
    "reports",
    "outreach",
    "joining",
    # The public complaint channel (app label "public"; the package is public_channel because
    # a module named `public` is taken by atpublic, which aiosmtpd imports).
    "public_channel",
    "roleplay",
]

MIDDLEWARE = [
    # HTML compressed (Django's GZipMiddleware has a BREACH mitigation since 4.2); static files
    # come compressed from whitenoise. Outermost, so it sees the finished response.
    "django.middleware.gzip.GZipMiddleware",
    # The public complaint pages (/layanan/...) leave no trace: no cookie at all from any
    # middleware below, Cache-Control: no-store, no referrer (public_channel/middleware.py).
    "public_channel.middleware.NoTraceMiddleware",
    # A request id on every log line and in the X-Request-ID response header (lbk/logs.py).
    "lbk.logs.RequestIdMiddleware",
    # Behind a reverse proxy: the visitor's address from X-Forwarded-For (TRUSTED_PROXY_COUNT).
    "accounts.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A NUL byte or non-UTF-8 bytes in the path, query string or cookies: 400, before anything
    # (the session, a view, a query) reads them.
    "accounts.middleware.BadInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with the second factor in this session.
    "django_otp.middleware.OTPMiddleware",
    # Django's LoginRequiredMiddleware, keeping a form posted after the session ended.
    "accounts.middleware.LoginRequiredMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",
    # The second factor: asked after the password, set up once the grace period is over.
    "accounts.second_factor.SecondFactorMiddleware",
    # Dates and times on pages in the zone of the user's place (WIB, WITA or WIT).
    "accounts.middleware.PlaceTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # The form token of each POST: the procedure engine records a form once (idempotency).
    "cases.middleware.FormOnceMiddleware",
    "accounts.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "lbk.urls"
WSGI_APPLICATION = "lbk.wsgi.application"

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
                "accounts.context_processors.shell",
            ],
        },
    },
]

# Database: SQLite file by default (development, demo); PostgreSQL in production and CI.
# DB_POOL=true: Django's psycopg connection pool per process (replaces CONN_MAX_AGE).
DB_POOL = env.bool("DB_POOL", default=False)


# Planner settings sent when each PostgreSQL connection opens (libpq "options"). The default
# tells the planner that a random read costs little more than a sequential one, as it does on
# SSDs and with the working set in memory: without it, PostgreSQL answered a name search by
# reading every case of the kelurahan instead of following the trigram index to the few
# matches. Behind PgBouncer in transaction mode (which refuses startup options) set
# PG_OPTIONS="" and put the same settings in postgresql.conf (docs/DEPLOYMENT.md).
PG_OPTIONS = env("PG_OPTIONS", default="-c random_page_cost=1.1")


def _postgres_options(db):
    db.setdefault("OPTIONS", {})
    if PG_OPTIONS:
        db["OPTIONS"].setdefault("options", PG_OPTIONS)


def _database(url_var, default=None):
    db = env.db(url_var, default=default)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # SQLite ignores row locks; IMMEDIATE transactions serialise writers instead of failing
        # with "database is locked".
        db.setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
        db["OPTIONS"].setdefault("timeout", 20)
        return db
    _postgres_options(db)
    if DB_POOL:
        db["CONN_MAX_AGE"] = 0  # the pool keeps the connections; Django refuses both
        db["OPTIONS"]["pool"] = {
            "min_size": env.int("DB_POOL_MIN", default=2),
            "max_size": env.int("DB_POOL_MAX", default=10),
            "timeout": env.int("DB_POOL_TIMEOUT", default=10),
        }
    else:
        db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        db["CONN_HEALTH_CHECKS"] = True
    return db


DATABASES = {"default": _database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# An optional streaming replica: lbk.routers.ReplicaRouter sends the reads of code marked with
# lbk.routers.replica_reads() there (the dashboard's counts), everything else to the primary.
# In tests it mirrors the test database (TEST MIRROR). REPLICA_READS=false sends them back to
# the primary without removing the URL (e.g. while the replica lags).
if env("REPLICA_DATABASE_URL", default=""):
    DATABASES["replica"] = _database("REPLICA_DATABASE_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
REPLICA_READS = env.bool("REPLICA_READS", default=True)
DATABASE_ROUTERS = ["lbk.routers.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Shared by all processes and machines: the cache holds rate-limit counters (and, with Redis,
# sessions and the login lockout). Without REDIS_URL: the database cache (one machine or
# several, nothing else to run); with it: Redis, shared by every web node.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="posko"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "lbk.cache.DatabaseCache",
            "LOCATION": "lbk_cache",
        }
    }

# Background work (outbox/): the Django tasks API (the django-tasks backport of Django 6's
# django.tasks). TASKS_BACKEND: "db" (the default: django-tasks-db, a table in the app's own
# database, worked by `manage.py run_worker`), "rq" (RQ on REDIS_URL, for several machines;
# `manage.py run_worker` then starts an RQ worker), "immediate" (in the process that enqueues,
# after the commit: the tests). Whatever the backend, the outbox table (outbox.models) keeps
# the retries, leases and failures: a task carries an outbox row id, nothing else.
TASKS_BACKEND = env("TASKS_BACKEND", default="db")
_TASK_BACKENDS = {
    "db": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured("TASKS_BACKEND must be db, rq, immediate or dummy.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}
if TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL.")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": env("RQ_REDIS_URL", default=REDIS_URL), "DEFAULT_TIMEOUT": 600}}
# A worker holds an outbox row this long; a killed worker's row is taken up again after it.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
# Attempts before a row is "failed" (backoff 1, 2, 4 ... minutes between them).
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
# Deadline reminders: sent this long before a clock is due (at most half the clock's length);
# a kelurahan may set its own ("reminder_lead" in its deadline settings).
REMINDER_LEAD_HOURS = env.int("REMINDER_LEAD_HOURS", default=24)

AUTHENTICATION_BACKENDS = [
    # The login lockout (accounts/lockout.py): refuses an attempt that must wait, first.
    "accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # No composition rules (NIST SP 800-63B): length and the common-password list only.
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: English source strings, Indonesian by default.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Makassar"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Case files (attachments, issued letters) are private: never under STATIC_ROOT, never served
# by the web server directly; only views that check access read them.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "files")
# Never served by URL: no pattern maps it; attachments go through access-checked views.
MEDIA_URL = "/private-files-are-not-served/"
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Where `manage.py backup` writes by default; copy backups off this machine (README).
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "var" / "backups")
# Attachments on a case: the largest file accepted, in bytes.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Case files (attachments, letters, printed procedures) go through Django's storage API: the
# private MEDIA_ROOT folder by default; S3-compatible object storage when STORAGE_S3_BUCKET is
# set (private objects, server-side encryption, never a public or signed URL: files leave only
# through the access-checked views). See lbk/storage.py and docs/DEPLOYMENT.md.
STORAGE_S3_BUCKET = env("STORAGE_S3_BUCKET", default="")
STORAGES = {
    "default": (
        s3_storage(
            bucket=STORAGE_S3_BUCKET,
            endpoint_url=env("STORAGE_S3_ENDPOINT_URL", default="") or None,
            region=env("STORAGE_S3_REGION", default="") or None,
            access_key=env("STORAGE_S3_ACCESS_KEY", default="") or None,
            secret_key=env("STORAGE_S3_SECRET_KEY", default="") or None,
            prefix=env("STORAGE_S3_PREFIX", default=""),
            encryption=env("STORAGE_S3_ENCRYPTION", default="AES256"),
            kms_key_id=env("STORAGE_S3_KMS_KEY_ID", default="") or None,
        )
        if STORAGE_S3_BUCKET
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Letter fonts (TTF) are read by the PDF renderer, never sent to browsers; source maps are for
# developers: compressing them (brotli) only slows collectstatic down.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "ttf", "map"]

# Forms render through crispy-forms (lbk/forms.py); templates/bootstrap5/field.html overrides the
# pack's field template. A layout naming a field the form lacks is an error, never a field
# silently left off the page.
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
CRISPY_FAIL_SILENTLY = False

# Security. Production values are the defaults whenever DEBUG is off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# "This request came over HTTPS" is believed from X-Forwarded-Proto only behind a reverse proxy
# (which sets the header itself); reached directly, any client could claim it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT > 0 else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a decision for the operator of the domain, not for the app.
    "security.W021",
]

# Sessions: 30 minutes idle, 12 hours at most, both enforced by
# accounts.middleware.SessionLimitsMiddleware. The last activity is written at most once a
# minute (SESSION_TOUCH_SECONDS), not on every request; the store keeps a session that long
# past the idle limit, so it never drops one the middleware still counts as alive.
# Stores (SESSION_STORE): "db" (the default without Redis), "cached_db" (cache + database),
# "cache" (Redis only: the default with REDIS_URL). Each keeps a per-user index of session keys
# (accounts.sessions), so every session of a user can be ended wherever it lives.
SESSION_STORE = env("SESSION_STORE", default="cache" if REDIS_URL else "db")
if SESSION_STORE not in ("db", "cached_db", "cache"):
    raise ImproperlyConfigured("SESSION_STORE must be db, cached_db or cache.")
if SESSION_STORE == "cache" and not REDIS_URL:
    raise ImproperlyConfigured("SESSION_STORE=cache needs REDIS_URL (a cache shared by all nodes).")
SESSION_ENGINE = f"accounts.sessions.{SESSION_STORE}"
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_TOUCH_SECONDS = 60
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS + SESSION_TOUCH_SECONDS
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
# A form posted after the session ended waits this long for its author to log in again.
KEPT_FORM_SECONDS = env.int("KEPT_FORM_SECONDS", default=30 * 60)

# Content-Security-Policy (django-csp 4): no inline scripts or styles anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# The public complaint channel (public app): "Quick exit" leads to this neutral site, the only
# external URL its pages name.
PUBLIC_EXIT_URL = env("PUBLIC_EXIT_URL", default="https://www.google.com/")
# The public form's signed token is the time check: sent sooner than this after the page was
# drawn (a robot), or later than the maximum, the form comes back with what was typed.
PUBLIC_FORM_MIN_SECONDS = env.int("PUBLIC_FORM_MIN_SECONDS", default=3)
PUBLIC_FORM_MAX_SECONDS = env.int("PUBLIC_FORM_MAX_SECONDS", default=4 * 60 * 60)

# Login lockout (accounts/lockout.py): per account (progressive delay after 5 failures, except
# from a browser that signed in to it before) and per address (failures on 10 usernames within
# an hour), counted in the shared cache (CACHES["default"]). LOCKOUT_ENABLED=false only for
# load tests.
LOCKOUT_ENABLED = env.bool("LOCKOUT_ENABLED", default=True)
# Two-factor sign-in: the name authenticator apps show.
OTP_TOTP_ISSUER = "Posko LBK"
# "This is a shared computer": the session ends after this much idle time instead.
SHARED_SESSION_IDLE_SECONDS = env.int("SHARED_SESSION_IDLE_SECONDS", default=10 * 60)

# The health endpoint (/health/, ops.views.health) answers only these addresses (or networks,
# e.g. 10.0.0.0/8 for the load balancer); 404 for everyone else, logged in or not.
HEALTH_ALLOWED_IPS = env.list("HEALTH_ALLOWED_IPS", default=["127.0.0.1", "::1"])

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="posko-lbk@localhost")

# Logs carry no personal data (README): ids and keyed hashes only; long digit runs
# (NIK, phone numbers) and database error details are masked by accounts.security.RedactFilter.
# django.db.backends stays at WARNING: its DEBUG records hold SQL parameters, i.e. case data;
# django.template at INFO: its DEBUG records dump whole template contexts (case data too).
# LOG_FORMAT: "json" (JSON lines with the request id, lbk/logs.py; the default with DEBUG off)
# or "plain" (the default with DEBUG on).
LOG_FORMAT = env("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "lbk.logs.RequestIdFilter"},
        "redact": {"()": "accounts.security.RedactFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "lbk.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # One line per request (lbk.logs.RequestIdMiddleware); its path has no query string.
        "lbk.request": {"level": env("REQUEST_LOG_LEVEL", default="INFO")},
        "django.db.backends": {"level": "WARNING", "propagate": True},
        "django.template": {"level": "INFO"},
        "lbk.security": {"level": "INFO"},
    },
}
# A refused form token gets the Indonesian 403 page, not Django's English one.
CSRF_FAILURE_VIEW = "accounts.security.csrf_failure"
# Error reports (mails to ADMINS) carry neither form data nor local variables.
DEFAULT_EXCEPTION_REPORTER_FILTER = "accounts.security.NoPersonalDataReporterFilter"
