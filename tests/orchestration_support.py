"""Shared helpers for the orchestration tests: a private dbt target (manifest) and a private var/ tree.

The dbt manifest is parsed once per test session into a temporary folder (IPWH_DBT_TARGET), never
into the repository's dbt_project/target, so parallel test workers do not overwrite each other.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.settings import Settings
from tests.sample_cache import built_sample, copy_sample


@pytest.fixture(scope="session")
def dbt_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("dbt_target")
    saved = os.environ.get("IPWH_DBT_TARGET")
    os.environ["IPWH_DBT_TARGET"] = str(target)
    from orchestration.dbt import prepare_manifest

    prepare_manifest(Settings.from_env())
    if saved is None:
        os.environ.pop("IPWH_DBT_TARGET", None)
    else:
        os.environ["IPWH_DBT_TARGET"] = saved
    return target


@pytest.fixture
def orch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dbt_target: Path) -> Iterator[Settings]:
    """A private installation whose dbt manifest is the session's."""
    home = tmp_path / "var"
    for name in ("IPWH_HOME", "IPWH_WAREHOUSE", "DAGSTER_HOME", "IPWH_TODAY", "IPWH_DBT_TARGET"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored afterwards, even if export() changes it
    monkeypatch.setenv("IPWH_HOME", str(home))
    monkeypatch.delenv("IPWH_WAREHOUSE", raising=False)
    monkeypatch.setenv("IPWH_DBT_TARGET", str(dbt_target))
    monkeypatch.setenv("IPWH_TODAY", "2026-11-21")
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    settings = Settings.from_env()
    settings.ensure_dirs()
    yield settings


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SAMPLE_ENV = ("IPWH_HOME", "IPWH_WAREHOUSE", "DAGSTER_HOME", "IPWH_TODAY", "IPWH_DBT_TARGET")


@contextmanager
def sample_home(tmp_path_factory: pytest.TempPathFactory, dbt_target: Path) -> Iterator[Settings]:
    """A copy of the built sample under a new IPWH_HOME on the sample's day, for a whole module; the
    environment is put back afterwards (a module-scoped fixture cannot use monkeypatch)."""
    home = tmp_path_factory.mktemp("sample") / "var"
    saved = {k: os.environ.get(k) for k in SAMPLE_ENV}
    os.environ.update(IPWH_HOME=str(home), IPWH_TODAY="2026-11-21", IPWH_DBT_TARGET=str(dbt_target))
    os.environ.pop("IPWH_WAREHOUSE", None)
    try:
        copy_sample(built_sample(tmp_path_factory), home)
        yield Settings.from_env()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
