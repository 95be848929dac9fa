"""A server installation: accounts and sessions in Postgres, everything from the environment.

DJANGO_SECRET_KEY, PORTAL_DB_NAME, PORTAL_DB_USER, PORTAL_DB_PASSWORD, PORTAL_DB_HOST, PORTAL_DB_PORT,
PORTAL_ALLOWED_HOSTS (comma-separated). Requires `pip install psycopg[binary]`.
"""

from __future__ import annotations

import os

from portal.config.settings.base import *  # noqa: F403

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("PORTAL_ALLOWED_HOSTS", "127.0.0.1").split(",") if h.strip()]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PORTAL_DB_NAME", "ipwh_portal"),
        "USER": os.environ.get("PORTAL_DB_USER", ""),
        "PASSWORD": os.environ.get("PORTAL_DB_PASSWORD", ""),
        "HOST": os.environ.get("PORTAL_DB_HOST", ""),
        "PORT": os.environ.get("PORTAL_DB_PORT", ""),
    }
}
SESSION_COOKIE_SECURE = os.environ.get("PORTAL_HTTPS", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
