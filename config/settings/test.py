"""Test settings: real PostgreSQL and Redis (see bin/services.py), eager Celery by default."""

import os
from urllib.parse import urlsplit, urlunsplit

from config.env import env_bool, env_str

from .base import *
from .simulated_platforms import *


def _redis_url_of_this_test_process(url: str) -> str:
    """Each pytest-xdist process gets a Redis database of its own, as it gets a PostgreSQL
    database of its own: otherwise the real Celery workers of two processes would take each
    other's tasks. Child processes inherit PYTEST_XDIST_WORKER and land on the same index."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + 1 + int(worker[2:])}"))


REDIS_URL = _redis_url_of_this_test_process(REDIS_URL)
CELERY_BROKER_URL = REDIS_URL
CACHES["default"]["LOCATION"] = REDIS_URL

SECRET_KEY = "test-secret-key"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
META_APP_SECRET = "test_app_secret"  # the secret of the worked examples in platforms.md §1.3
META_VERIFY_TOKEN = "meatyhamhock"
X_CONSUMER_SECRET = "test_consumer_secret"  # the secret of the worked examples in §2.1, §2.2
GOOGLE_PUSH_TOKEN = "test_google_push_token"
TOKEN_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LXRva2VuLWtleS1ub3QtZm9yLXVzZTE="]
# locmem in unit tests; the browser test's gunicorn writes mail to files it can read.
EMAIL_BACKEND = env_str("PARLEY_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env_str("PARLEY_EMAIL_FILE_PATH", "")
PARLEY_BASE_URL = env_str("PARLEY_BASE_URL", "http://testserver")
# Eager in unit tests; the real-worker test starts a worker with PARLEY_CELERY_EAGER=0.
CELERY_TASK_ALWAYS_EAGER = env_bool("PARLEY_CELERY_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 3
# The browser tests run gunicorn without collectstatic: static files come from the finders.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None
LOGGING = {"version": 1, "disable_existing_loggers": False}
