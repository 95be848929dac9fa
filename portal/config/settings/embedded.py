"""The embedded default: accounts and sessions in a SQLite file under IPWH_HOME (var/portal/)."""

from __future__ import annotations

import os
import secrets

from portal.config.settings.base import *  # noqa: F403
from portal.config.settings.base import IPWH

PORTAL_HOME = IPWH.home / "portal"
PORTAL_HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """One random key per installation, kept beside the accounts (never in the repository)."""
    path = PORTAL_HOME / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": PORTAL_HOME / "portal.sqlite3",
        # Many departments at once: wait for SQLite's lock instead of failing, and use WAL.
        "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"},
    }
}
