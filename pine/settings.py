"""PINE settings: one module, read from environment variables.

Environments differ only by their variables (see README "Configuration" and docker-compose.yml).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes for a lost authenticator
    "pine",
    "measures",
    "evaluations",
    "cohorts",
    "outcomes",
    "returns",
    "reports",
]
# Demo data and the demo two-factor secret: development and tests only.
PINE_DEMO = env.bool("PINE_DEMO", default=DEBUG)
if PINE_DEMO:
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "pine.middleware.UploadLimitMiddleware",  # before CSRF, which reads the body
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pine.middleware.SecurityHeadersMiddleware",
    # Last, so that it sees the failed logins the views report.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pine.urls"
WSGI_APPLICATION = "pine.wsgi.application"

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
                "pine.context_processors.navigation",
            ],
        },
    },
]
FORM_RENDERER = "pine.forms.GovukFormRenderer"

# PostgreSQL always, in every environment: row-level security is half of our tenancy.
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://pine@127.0.0.1:5432/pine")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True  # the tenant scope lives in the request's transaction
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parameters bound by the server, so that psycopg prepares a statement a connection runs often (its
# fifth time): PostgreSQL then plans each of the few queries every API request makes once per
# connection instead of every time, which was most of their cost in the database.
DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
DATABASES["default"].setdefault("TEST", {})["NAME"] = env("TEST_DATABASE_NAME", default="test_pine")
# The owner role that runs `migrate` (and owns the tables); DATABASE_URL is then the runtime role,
# which owns nothing: it cannot TRUNCATE, ALTER, disable a trigger or turn row-level security off.
# Unset (one role, development): migrate connects as DATABASE_URL. See pine/database_roles.py.
MIGRATE_DATABASE = env.db("MIGRATE_DATABASE_URL") if env("MIGRATE_DATABASE_URL", default="") else None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "pine.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    # Our users have an email address and a full name (Django's default looks for first and last names).
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list("PASSWORD_HASHERS", default=["django.contrib.auth.hashers.PBKDF2PasswordHasher"])
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection: lock a username from one address after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client's address, for the lockout as for everything else (pine/network.py). Behind reverse
# proxies (BEHIND_PROXY), it is read from X-Forwarded-For, TRUSTED_PROXY_COUNT entries from the
# right; otherwise from the connection, and the header is ignored. Set BEHIND_PROXY only when the
# app can be reached through the proxies alone.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
if TRUSTED_PROXY_COUNT < 1:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT is the number of proxies in front of PINE: at least 1.")
AXES_CLIENT_IP_CALLABLE = "pine.network.client_ip"
OTP_TOTP_ISSUER = "PINE"

# API tokens: the longest a new token may live, in days (the user picks up to this). A practice-team
# token never lives longer than 30 days: it stands in for a session verified with a second factor.
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=90)
API_TOKEN_PRACTICE_MAX_DAYS = min(env.int("API_TOKEN_PRACTICE_MAX_DAYS", default=30), 30)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploaded files (outcome data) until a worker has read them, and what PINE keeps of them while they
# wait for their uploader: on the local filesystem (UPLOADS_ROOT), or in S3-compatible object
# storage (MinIO, AWS S3...) when UPLOADS_S3_BUCKET is set. Never served from a URL.
UPLOADS_S3_BUCKET = env("UPLOADS_S3_BUCKET", default="")
if UPLOADS_S3_BUCKET:
    STORAGES["uploads"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": UPLOADS_S3_BUCKET,
            "endpoint_url": env("UPLOADS_S3_ENDPOINT_URL", default=None),
            "region_name": env("UPLOADS_S3_REGION", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "location": env("UPLOADS_S3_PREFIX", default="uploads"),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "object_parameters": {"ServerSideEncryption": "AES256"} if env.bool("UPLOADS_S3_ENCRYPT", default=False) else {},
            # A file read from the bucket is downloaded to a temporary file, held in memory only up
            # to this size (django-storages' default, 0, holds the whole file in memory).
            "max_memory_size": 8 * 1024 * 1024,
        },
    }
else:
    STORAGES["uploads"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env("UPLOADS_ROOT", default=str(BASE_DIR / "var" / "uploads")),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
# The largest outcome data upload PINE takes (larger requests are refused before they are read).
OUTCOME_UPLOAD_MAX_BYTES = env.int("OUTCOME_UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
OUTCOME_UPLOAD_MAX_ROWS = env.int("OUTCOME_UPLOAD_MAX_ROWS", default=5_000_000)

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Seconds to connect to Redis, and to wait for an answer, before it counts as away: it answers in
# well under a millisecond, and a dead or stuck Redis must not hold a request (redis-py waits 5 s by
# default, and Celery's producer for ever). The cache's callers handle its errors (pine.ratelimit).
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=1.0)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
# Sending a task from a request (an email, a job) gives up on a dead broker within a few timeouts
# (without them Celery's producer waits for ever); one quick retry rides out a blip. What was not
# sent is in the log (an email) or waits queued on its row for pine.jobs.resume (a job).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_RESULT_BACKEND = None  # results live on our own rows, with their progress
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process starts its chart browser before it reports up (reports.tasks); on a busy machine
# that takes longer than Celery's 4 s, and a replacement for a process that died was killed too.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 30
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "pine.tasks.heartbeat", "schedule": 60.0},
    # Jobs queued while the broker was away, or left running by a worker that died (pine.jobs.resume).
    "resume-submissions": {"task": "outcomes.tasks.resume_submissions", "schedule": 300.0},
    "resume-reports": {"task": "reports.tasks.resume_reports", "schedule": 300.0},
    "resume-return-imports": {"task": "returns.tasks.resume_return_imports", "schedule": 300.0},
    "resume-figures": {"task": "reports.tasks.resume_figures", "schedule": 300.0},
    "milestone-reminders": {"task": "evaluations.tasks.send_milestone_reminders", "schedule": crontab(hour=7, minute=30)},
    # Calls close themselves at their deadline (cohorts.services.applications.cohorts_close_at_deadline).
    "close-calls": {"task": "cohorts.tasks.close_calls_at_deadline", "schedule": 300.0},
    "deadline-reminders": {"task": "cohorts.tasks.send_deadline_reminders", "schedule": crontab(hour=7, minute=0)},
    "event-reminders": {"task": "cohorts.tasks.send_event_reminders", "schedule": crontab(hour=9, minute=0)},
}

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="PINE <pine@example.org>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "pine.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "pine.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "pine.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PINE API",
    "DESCRIPTION": "Partners' and the practice team's API. Authenticate with `Authorization: Token <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set shared by several operations.
    "ENUM_NAME_OVERRIDES": {
        "CohortStatusEnum": "cohorts.models.Cohort.Status",
        "ApplicationStatusEnum": "cohorts.models.Application.Status",
        "ApplicationDecisionEnum": "cohorts.models.Decision",
        "MilestoneStatusEnum": "evaluations.models.Milestone.Status",
        "MeasureFrequencyEnum": "measures.models.Measure.Frequency",
        "ReturnImportFrequencyEnum": "returns.models.ReturnImport.Frequency",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pine.openapi.add_error_responses",
    ],
}

# Security headers and cookies: strict by default, relaxed only for local development.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Child references are pseudonymised with keyed HMACs; keys live only in the environment.
# A missing key, or the development one, is an error of `check --deploy` (pine/checks.py), and a
# worker without a key does not start.
DEVELOPMENT_PSEUDONYM_KEY = "development-only-pseudonym-key"
PSEUDONYM_KEYS = env.dict("PSEUDONYM_KEYS", default={"v1": DEVELOPMENT_PSEUDONYM_KEY} if DEBUG else {})
PSEUDONYM_KEY_VERSION = env("PSEUDONYM_KEY_VERSION", default="v1")

# Outputs never show a count below this (safe-outputs practice).
SUPPRESSION_THRESHOLD = env.int("SUPPRESSION_THRESHOLD", default=5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "kaleido": {"level": "WARNING"},
        "choreographer": {"level": "WARNING"},
    },
}
