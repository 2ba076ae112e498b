"""Minimal Django project serving django-silver 0.11.1's REST API, for the benchmark's peer rows.

The database comes from the environment (set by bench/suite/peer.py):
  PEER_DB=sqlite      PEER_SQLITE_PATH=/path/db.sqlite3
  PEER_DB=postgresql  PEER_PG_NAME, PEER_PG_USER, PEER_PG_HOST, PEER_PG_PORT

Choices made so that the comparison is about silver, not about set-up:
- DEBUG off, no admin, no sessions or CSRF middleware: only what silver's API needs;
- HTTP Basic auth (DRF BasicAuthentication) with the MD5 password hasher, so PBKDF2's deliberate
  slowness (hundreds of ms per request) does not dominate;
- ATOMIC_REQUESTS left at Django's default (off), as silver's own settings leave it;
- SQLite timeout 30 s, the same busy timeout Quire uses.
"""

import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "silver-bench-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "dal",  # silver.views needs dal_select2 installed for its autocomplete views
    "dal_select2",
    "django_fsm",
    "rest_framework",
    "django_filters",
    "silver",
]

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",  # DRF authenticates per view (BasicAuthentication)
]

ROOT_URLCONF = "silverbench.urls"
WSGI_APPLICATION = "silverbench.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "DIRS": [],
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

if os.environ.get("PEER_DB", "sqlite") == "postgresql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["PEER_PG_NAME"],
            "USER": os.environ.get("PEER_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("PEER_PG_PASSWORD", ""),
            "HOST": os.environ.get("PEER_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("PEER_PG_PORT", "5432"),
            "CONN_MAX_AGE": 600,  # persistent connections, as a production deployment would use
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("PEER_SQLITE_PATH", os.path.join(BASE_DIR, "peer.sqlite3")),
            "OPTIONS": {"timeout": 30},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "silver.api.pagination.LinkHeaderPagination",
    "PAGE_SIZE": 50,
}
API_PAGE_SIZE = 50

# Settings silver reads (names from silver 0.11.1's source).
PAYMENT_PROCESSORS = {}
PAYMENT_METHOD_SECRET = b"MOW_x1k-ayes3KqnFHNZUxvKipC8iLjxiczEN76TIEA="
SILVER_AUTOMATICALLY_CREATE_TRANSACTIONS = False
SILVER_DEFAULT_DUE_DAYS = 5
SILVER_DOCUMENT_PREFIX = "documents/"
SILVER_DOCUMENT_STORAGE = None
MEDIA_ROOT = os.environ.get("PEER_MEDIA_ROOT", os.path.join(BASE_DIR, "media"))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
