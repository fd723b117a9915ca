"""Settings shared by every environment. Tenancy lives here (see ../shared/STACK.md)."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("PARLEY_SECRET_KEY", "")
DEBUG = env_bool("PARLEY_DEBUG", default=False)
ALLOWED_HOSTS = env_list("PARLEY_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("PARLEY_CSRF_TRUSTED_ORIGINS", [])

# --- Tenancy -----------------------------------------------------------------------------
# Decided once: moving an app between these lists later leaves migrations recorded without
# tables. The user model and everything the agency-wide views read are shared.
SHARED_APPS = [
    "django_tenants",
    "accounts",
    "clients",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "rest_framework",
    "drf_spectacular",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "inbox",
    "guidelines",
    "escalation",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "clients.Client"
TENANT_DOMAIN_MODEL = "clients.Domain"
TENANT_SUBFOLDER_PREFIX = "clients"
TENANT_LIMIT_SET_CALLS = True
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

MIDDLEWARE = [
    "clients.middleware.ClientSubfolderMiddleware",  # must stay first (django-tenants)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "clients.middleware.ClientAccessMiddleware",
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clients.context_processors.client_switcher",
            ],
            "builtins": ["clients.templatetags.public_urls"],
        },
    }
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Services ----------------------------------------------------------------------------
DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": env_str("PARLEY_DB_NAME", "parley"),
        "USER": env_str("PARLEY_DB_USER", "postgres"),
        "PASSWORD": env_str("PARLEY_DB_PASSWORD", ""),
        # A directory means a unix socket (the embedded server listens on one).
        "HOST": env_str("PARLEY_DB_HOST", "127.0.0.1"),
        "PORT": env_str("PARLEY_DB_PORT", "5432"),
        "CONN_MAX_AGE": env_int("PARLEY_DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        # No JIT compilation: our statements touch hundreds of rows by key, and the
        # planner's cost estimate of a batch's list-field refresh crossed jit_above_cost,
        # so every batch spent 45 ms compiling a 20 ms statement.
        "OPTIONS": {"options": "-c jit=off"},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("PARLEY_REDIS_URL", "redis://127.0.0.1:6379/7")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

# --- Celery (tenant-schemas-celery app in config/celery.py) -------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery closes the database connection before and after every task unless told to reuse
# it: each processing batch then paid for a new PostgreSQL backend (a fork, and catalog
# caches filled again for every table it touches). Connections are kept as for web requests
# instead (CONN_MAX_AGE, health checks: config.celery), and at most this many tasks each.
CELERY_DB_REUSE_MAX = 1000
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env_bool("PARLEY_CELERY_EAGER", default=False)
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-inbound-events": {
        "task": "clients.requeue_stale_inbound_events",
        "schedule": 30.0,
    },
    "poll-connected-accounts": {
        "task": "clients.poll_accounts",
        "schedule": env_int("PARLEY_POLL_INTERVAL_SECONDS", 60),
    },
    "refresh-expiring-tokens": {
        "task": "clients.refresh_expiring_tokens",
        "schedule": 300.0,
    },
    "reconcile-stuck-replies": {
        "task": "inbox.reconcile_stuck_replies",
        "schedule": 300.0,
    },
    "remind-pending-approvals": {
        "task": "inbox.remind_pending_approvals",
        "schedule": 300.0,
    },
}

# --- REST API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Personal tokens and client-scoped API keys join session auth with the API resources.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "clients.api.base.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env_str("PARLEY_API_RATE", "600/minute")},
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Parley API",
    "DESCRIPTION": "Per-client endpoints live under /clients/{client}/api/v1/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/clients/\{client\}/api/v1",
}

# --- Auth --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Paths, not URL names: inside a client the urlconf is the client's, which has no "login".
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login rate limit: five failures per e-mail and address lock the pair out for 15 minutes.
AXES_FAILURE_LIMIT = env_int("PARLEY_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from <body hx-headers>, not the cookie

# --- Internationalization -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("pl", _("Polish")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT: Path | None = BASE_DIR / ".data" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- E-mail ------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("PARLEY_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("PARLEY_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("PARLEY_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("PARLEY_DEFAULT_FROM_EMAIL", "Parley <parley@localhost>")
# Where people reach this installation: links in e-mails (approval links) start with it.
PARLEY_BASE_URL = env_str("PARLEY_BASE_URL", "http://127.0.0.1:8000")
# Where browsers open the live-update stream (inbox/live/asgi.py, its own uvicorn process).
PARLEY_LIVE_URL = env_str("PARLEY_LIVE_URL", "http://127.0.0.1:8001")

# --- Analysis ----------------------------------------------------------------------------
# The class that reads incoming messages (language, sentiment, needs-reply, spam); offline.
PARLEY_ANALYZER = env_str("PARLEY_ANALYZER", "inbox.analysis.lexicon.LexiconAnalyzer")

# --- Platforms ---------------------------------------------------------------------------
# Secrets of the platform apps, and the base URLs of their APIs (the simulator in dev/tests).
META_APP_SECRET = env_str("PARLEY_META_APP_SECRET", "")
META_VERIFY_TOKEN = env_str("PARLEY_META_VERIFY_TOKEN", "")
META_GRAPH_BASE_URL = env_str("PARLEY_META_GRAPH_BASE_URL", "https://graph.facebook.com/v21.0")
# X: the app's consumer secret signs webhooks and answers the CRC (platforms.md §2).
X_CONSUMER_SECRET = env_str("PARLEY_X_CONSUMER_SECRET", "")
X_API_BASE_URL = env_str("PARLEY_X_API_BASE_URL", "https://api.x.com/2")
# Blocking through the API is Enterprise-only on X.
X_API_ENTERPRISE = env_bool("PARLEY_X_API_ENTERPRISE", default=False)
# Google Business Profile: reviews API, and the secret the Pub/Sub push URL carries
# (?token=...), since a Google-signed OIDC token cannot be checked offline (§3.3).
GOOGLE_BUSINESS_BASE_URL = env_str(
    "PARLEY_GOOGLE_BUSINESS_BASE_URL", "https://mybusiness.googleapis.com/v4"
)
GOOGLE_PUSH_TOKEN = env_str("PARLEY_GOOGLE_PUSH_TOKEN", "")
YOUTUBE_BASE_URL = env_str("PARLEY_YOUTUBE_BASE_URL", "https://www.googleapis.com/youtube/v3")
LINKEDIN_BASE_URL = env_str("PARLEY_LINKEDIN_BASE_URL", "https://api.linkedin.com/rest")
# LinkedIn sunsets API versions after about a year: one version, pinned (§11.6).
LINKEDIN_API_VERSION = env_str("PARLEY_LINKEDIN_API_VERSION", "202411")
TIKTOK_BASE_URL = env_str("PARLEY_TIKTOK_BASE_URL", "https://business-api.tiktok.com/open_api/v1.3")
# OAuth 2 apps that connect accounts (clients/oauth.py): endpoints and credentials per
# provider. A provider without a client id and secret is shown as not set up.
OAUTH_PROVIDERS = {
    "meta": {
        "authorize_url": "https://www.facebook.com/v21.0/dialog/oauth",
        "token_url": "https://graph.facebook.com/v21.0/oauth/access_token",
        "revoke_url": "",  # Meta has none: disconnecting unsubscribes the page instead
        "client_id": env_str("PARLEY_META_CLIENT_ID", ""),
        "client_secret": env_str("PARLEY_META_APP_SECRET", ""),
    },
    "x": {
        "authorize_url": "https://x.com/i/oauth2/authorize",
        "token_url": "https://api.x.com/2/oauth2/token",
        "revoke_url": "https://api.x.com/2/oauth2/revoke",
        "client_id": env_str("PARLEY_X_CLIENT_ID", ""),
        "client_secret": env_str("PARLEY_X_CLIENT_SECRET", ""),
    },
    "google": {
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "revoke_url": "https://oauth2.googleapis.com/revoke",
        "client_id": env_str("PARLEY_GOOGLE_CLIENT_ID", ""),
        "client_secret": env_str("PARLEY_GOOGLE_CLIENT_SECRET", ""),
    },
    "linkedin": {
        "authorize_url": "https://www.linkedin.com/oauth/v2/authorization",
        "token_url": "https://www.linkedin.com/oauth/v2/accessToken",
        "revoke_url": "https://www.linkedin.com/oauth/v2/revoke",
        "client_id": env_str("PARLEY_LINKEDIN_CLIENT_ID", ""),
        "client_secret": env_str("PARLEY_LINKEDIN_CLIENT_SECRET", ""),
    },
    "tiktok": {
        "authorize_url": "https://business-api.tiktok.com/portal/auth",
        "token_url": "https://business-api.tiktok.com/open_api/v1.3/tt_user/oauth2/token/",
        "revoke_url": "https://business-api.tiktok.com/open_api/v1.3/tt_user/oauth2/revoke/",
        "client_id": env_str("PARLEY_TIKTOK_CLIENT_ID", ""),
        "client_secret": env_str("PARLEY_TIKTOK_CLIENT_SECRET", ""),
    },
}
PLATFORM_HTTP_TIMEOUT_SECONDS = env_int("PARLEY_PLATFORM_HTTP_TIMEOUT_SECONDS", 10)
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).
TOKEN_ENCRYPTION_KEYS = env_list("PARLEY_TOKEN_ENCRYPTION_KEYS", [])
# The largest webhook body accepted; Meta batches up to 1000 entries per delivery.
WEBHOOK_MAX_BODY_BYTES = env_int("PARLEY_WEBHOOK_MAX_BODY_BYTES", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = WEBHOOK_MAX_BODY_BYTES

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("PARLEY_LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
