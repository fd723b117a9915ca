"""Test settings: real PostgreSQL and Redis (see bin/services.py), eager Celery by default."""

from config.env import env_bool, env_str

from .base import *

SECRET_KEY = "test-secret-key"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
META_APP_SECRET = "test_app_secret"  # the secret of the worked examples in platforms.md §1.3
META_VERIFY_TOKEN = "meatyhamhock"
META_GRAPH_BASE_URL = env_str("PARLEY_META_GRAPH_BASE_URL", "http://127.0.0.1:8100/v21.0")
TOKEN_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LXRva2VuLWtleS1ub3QtZm9yLXVzZTE="]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Eager in unit tests; the real-worker test starts a worker with PARLEY_CELERY_EAGER=0.
CELERY_TASK_ALWAYS_EAGER = env_bool("PARLEY_CELERY_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 3
# The browser tests run gunicorn without collectstatic.
WHITENOISE_USE_FINDERS = True
LOGGING = {"version": 1, "disable_existing_loggers": False}
