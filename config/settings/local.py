"""Development and `make run` settings: the demo secrets are fine here and nowhere else."""

from config.env import env_bool, env_list, env_str

from .base import *
from .simulated_platforms import *

DEBUG = env_bool("PARLEY_DEBUG", default=True)
SECRET_KEY = env_str("PARLEY_SECRET_KEY", "dev-only-secret-key-not-for-production")
META_APP_SECRET = env_str("PARLEY_META_APP_SECRET", "demo_meta_app_secret")
META_VERIFY_TOKEN = env_str("PARLEY_META_VERIFY_TOKEN", "demo_verify_token")
X_CONSUMER_SECRET = env_str("PARLEY_X_CONSUMER_SECRET", "demo_x_consumer_secret")
GOOGLE_PUSH_TOKEN = env_str("PARLEY_GOOGLE_PUSH_TOKEN", "demo_google_push_token")
# A fixed development key so that tokens stored by one `make run` decrypt in the next.
TOKEN_ENCRYPTION_KEYS = env_list(
    "PARLEY_TOKEN_ENCRYPTION_KEYS", ["ZGV2LW9ubHktdG9rZW4ta2V5LWRvLW5vdC11c2UtMzI="]
)
EMAIL_BACKEND = env_str("PARLEY_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
