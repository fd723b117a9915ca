"""Production: every secret from the environment, HTTPS assumed behind a proxy."""

from config.env import env_str

from .base import *

DEBUG = False
SECRET_KEY = env_str("PARLEY_SECRET_KEY")
META_APP_SECRET = env_str("PARLEY_META_APP_SECRET")
META_VERIFY_TOKEN = env_str("PARLEY_META_VERIFY_TOKEN")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 3600
