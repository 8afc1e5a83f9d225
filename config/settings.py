"""Pitstop settings. Everything that differs between machines comes from the environment.

Environment variables (all optional for the embedded SQLite default):
  SECRET_KEY         secret key; generated into var/secret_key on first run when unset
  DATABASE_URL       e.g. postgres://user:pass@host:5432/pitstop; SQLite file var/pitstop.sqlite3 when unset
  ALLOWED_HOSTS      comma-separated host names (default 127.0.0.1,localhost)
  DEBUG              1 to turn on debug pages (never in production)
  PITSTOP_HTTPS      1 when served behind an HTTPS reverse proxy: secure cookies, HSTS, redirect
  CSRF_TRUSTED_ORIGINS  comma-separated origins, e.g. https://dms.example.cn
  CELERY_BROKER_URL  redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//;
                     unset: background jobs run in the web process (no broker needed)
  SMS_GATEWAY_URL    HTTP endpoint of the SMS gateway; unset: messages are only stored (outbox)
  SMS_GATEWAY_TOKEN  token sent to the SMS gateway
  SMS_GATEWAY_TIMEOUT  seconds to wait for the gateway (default 5)
  SMS_SIGNATURE      the signature registered with the carriers, sent as 【…】; unset: the store's name
  PITSTOP_PUBLIC_URL how owners reach the public pages (approval links), default http://127.0.0.1:8000
  PITSTOP_VAR_DIR    where the SQLite file, the generated secret key and uploads live (default ./var)
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PITSTOP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _local_secret_key() -> str:
    """A key generated once per machine, so no secret is ever committed."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
DEBUG = env_flag("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "bootstrap",
    "pitstop.core",
    "pitstop.accounts",
    "pitstop.customers",
    "pitstop.parts",
    "pitstop.messaging",
    "pitstop.service",
    "pitstop.workshop",
    "pitstop.billing",
    "pitstop.loyalty",
    "pitstop.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pitstop.accounts.middleware.UserLanguageMiddleware",
    "pitstop.accounts.middleware.CurrentStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pitstop.core.htmx.HtmxMessagesMiddleware",
    "csp.middleware.CSPMiddleware",
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
                "pitstop.accounts.context_processors.shell",
            ],
            "builtins": ["template_partials.templatetags.partials", "pitstop.core.templatetags.pitstop"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'pitstop.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so two writers never deadlock
    # half-way; WAL lets readers go on while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "pitstop.accounts.backends.RolePermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failed logins: 5 tries per user and address, then 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise looks here at start-up, before collectstatic ran
STATICFILES_DIRS = [BASE_DIR / "pitstop" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Security headers. HTTPS-only settings switch on behind a TLS proxy (PITSTOP_HTTPS=1).
HTTPS = env_flag("PITSTOP_HTTPS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600  # one working day
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from <body hx-headers>, not the cookie

# No inline script and no inline style anywhere: every script and style file is ours.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the browsable API renders forms whose choices are not scoped to the store.
    # People use /api/docs/ to try the API.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "pitstop.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "pitstop.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": "20/min"},
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pitstop API",
    "DESCRIPTION": _("After-sales service management: customers, vehicles, parts, service, billing."),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two models call a field "source" with different choices; each gets its own enum name.
    "ENUM_NAME_OVERRIDES": {
        "AppointmentSourceEnum": "pitstop.service.models.Appointment.Source",
        "CustomerSourceEnum": "pitstop.customers.models.Customer.Source",
    },
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://"  # tasks run in the process: no broker to look for or warn about
# Daily jobs for `celery -A config beat`; without a worker, cron runs the same as commands.
CELERY_BEAT_SCHEDULE = {
    "send-appointment-reminders": {
        "task": "pitstop.service.tasks.remind_appointments",
        "schedule": crontab(hour=9, minute=0),
    },
    # Without a worker, cron runs `manage.py raise_progress_tasks` and `send_ready_notices` instead.
    "raise-progress-tasks": {
        "task": "pitstop.workshop.tasks.raise_progress_tasks",
        "schedule": crontab(minute="*/10"),
    },
    "expire-loyalty": {
        "task": "pitstop.loyalty.tasks.expire_loyalty",
        "schedule": crontab(hour=1, minute=30),
    },
    "send-ready-notices": {
        "task": "pitstop.workshop.tasks.send_ready_notices",
        "schedule": crontab(minute="*/5"),
    },
}
# The advisor checks a job's progress at this share of its planned time (F-4.4: 70–80%).
PROGRESS_CHECK_AT = os.environ.get("PITSTOP_PROGRESS_CHECK_AT", "0.75")
# The owner hears the car will be ready this many hours ahead: short jobs, and jobs of
# READY_NOTICE_LONG_JOB_HOURS or more (seed 002: 1 hour for jobs under 2 days, else 4 hours).
READY_NOTICE_SHORT_HOURS = 1
READY_NOTICE_LONG_HOURS = 4
READY_NOTICE_LONG_JOB_HOURS = 48
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE

SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
# Where owners reach the public pages (add-on approval links, online booking) from their phones.
PUBLIC_BASE_URL = os.environ.get("PITSTOP_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
SMS_GATEWAY_TIMEOUT = float(os.environ.get("SMS_GATEWAY_TIMEOUT", "5"))
SMS_SIGNATURE = os.environ.get("SMS_SIGNATURE", "")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_CACHE_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_CACHE_URL"],
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
