"""Shared fixtures: a private var/ tree per test, and the seed documents when they are beside the repo."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from core.settings import REPO_ROOT, SEEDS_DIR
from sources.catalogue import Catalogue

SEED_DOCS = REPO_ROOT.parent / "shared" / "seeds"
# The Spark build compared with DuckDB's (tests/spark) takes minutes and needs Java and the spark
# extra: make test-spark runs it, with IPWH_SPARK_TESTS=1.
collect_ignore = [] if os.environ.get("IPWH_SPARK_TESTS") == "1" else ["spark"]

# Once the spark extra is installed (make test-spark), Great Expectations imports pyspark, and pyspark
# takes a main module without a file for a doctest run and exits the process unless its Connect
# libraries are there. pytest-xdist's workers run from such a module: name it, so `make test` after
# `make test-spark` behaves as before it.
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest-xdist worker>"


@pytest.fixture
def ipwh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "var"
    monkeypatch.setenv("IPWH_HOME", str(home))
    monkeypatch.delenv("IPWH_WAREHOUSE", raising=False)
    return home


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return Catalogue(SEEDS_DIR)


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the catalogue files, for malformed-input tests."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, target)
    return target


@pytest.fixture(scope="session")
def seed_docs() -> Path:
    if not SEED_DOCS.is_dir():
        pytest.skip(f"seed documents not found at {SEED_DOCS}")
    return SEED_DOCS
