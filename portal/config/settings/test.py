"""Tests: base settings, an in-memory database, a fixed key, a fast hasher. Each test points
`settings.IPWH` at its own var/ tree (portal/conftest.py), so nothing touches the developer's var/."""

from __future__ import annotations

from portal.config.settings.base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
