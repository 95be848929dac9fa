"""The monitoring site built from the shared sample (with one run of the quality checks), per session."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from core.snapshot import publish_snapshot
from tests.sample_cache import AS_OF, built_sample, copy_sample


@dataclass
class BuiltSite:
    settings: Settings
    folder: Path
    seconds: float
    pages: list[str]

    def page(self, path: str) -> str:
        return (self.folder / path).read_text(encoding="utf-8")

    def mart(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.snapshot_db), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def build_sample_site(factory: pytest.TempPathFactory) -> BuiltSite:
    from expectations.evaluate import run_checks
    from monitoring_site.build import build_site
    from sources.catalogue import load

    settings = copy_sample(built_sample(factory), factory.mktemp("site") / "var")
    with duckdb.connect(str(settings.warehouse)) as con:
        run_checks(con, run_id="site-test", trigger="test", as_of=AS_OF, catalogue=load())
    publish_snapshot(settings, run_id="site-test")
    result = build_site(settings)
    return BuiltSite(settings, result.folder, result.seconds, result.pages)


def shown(value: object, decimals: int) -> str:
    """A figure as the site must show it: the unit's decimals and thousands separators (independent of the site)."""
    return f"{Decimal(str(value)):,.{decimals}f}"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
