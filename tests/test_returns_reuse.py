"""A run that changed nothing a return reads leaves the draft on disk as it is (reports/reuse.py); any
change to those inputs, or to the draft's files, builds it again, equal to a build from scratch."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from core.build_state import MODEL_INPUTS_TABLE, SCHEMA
from reports.build import build_period
from sources.periods import Period
from tests.test_returns_support import add_task_and_centre_marts, explain_warning, open_gate, sample_warehouse

PERIOD = Period.parse("2026-10")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = sample_warehouse(tmp_path_factory)
    with duckdb.connect(str(warehouse)) as con:
        open_gate(con)
        add_task_and_centre_marts(con)
        set_models_fingerprint(con, "models-built-from-A")
    return warehouse


@pytest.fixture
def warehouse(prepared: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(prepared, copy)
    with duckdb.connect(str(copy)) as con:
        yield con


def set_models_fingerprint(con: duckdb.DuckDBPyConnection, fingerprint: str | None) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(f"create or replace table {MODEL_INPUTS_TABLE} (fingerprint varchar, built_at timestamp)")
    if fingerprint is not None:
        con.execute(f"insert into {MODEL_INPUTS_TABLE} values (?, now())", [fingerprint])


def snapshot_of(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file's hash and modification time (ns): a rewrite with equal bytes still shows."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def test_an_unchanged_draft_is_left_as_it_is(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    first = build_period(warehouse, outbox, PERIOD, reuse_draft=True)
    assert not first.reused and first.built
    before = snapshot_of(first.folder)
    again = build_period(warehouse, outbox, PERIOD, reuse_draft=True)
    assert again.reused and again.built == [] and again.folder == first.folder
    assert snapshot_of(first.folder) == before


def _new_models(con: duckdb.DuckDBPyConnection, _folder: Path) -> None:
    set_models_fingerprint(con, "models-built-from-B")


def _no_complete_build(con: duckdb.DuckDBPyConnection, _folder: Path) -> None:
    set_models_fingerprint(con, None)


def _explained_warning(con: duckdb.DuckDBPyConnection, _folder: Path) -> None:
    explain_warning(con, "run-pass", "2026-10", "valid_invention_patents", "口径不同，差异属正常")


def _tampered_file(_con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    target = next(folder.glob("*.xlsx"))
    target.write_bytes(target.read_bytes() + b"\0")


def _deleted_file(_con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    next(folder.glob("*.csv")).unlink()


def _edited_manifest(_con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    manifest = folder / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"version": 1', '"version": 1 '), encoding="utf-8")


CHANGES: dict[str, Callable[[duckdb.DuckDBPyConnection, Path], None]] = {
    "models rebuilt from other inputs": _new_models,
    "no complete model build on record": _no_complete_build,
    "an analyst explained a warning": _explained_warning,
    "a file of the draft was altered": _tampered_file,
    "a file of the draft was deleted": _deleted_file,
    "the manifest was edited": _edited_manifest,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_any_change_to_what_a_return_reads_builds_it_again(
    change: str, warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    first = build_period(warehouse, outbox, PERIOD, reuse_draft=True)
    CHANGES[change](warehouse, first.folder)
    again = build_period(warehouse, outbox, PERIOD, reuse_draft=True)
    assert not again.reused and again.built
    scratch = build_period(warehouse, tmp_path / "scratch", PERIOD)
    assert snapshot_of(again.folder).keys() == snapshot_of(scratch.folder).keys()
    for name, (sha, _) in snapshot_of(scratch.folder).items():
        assert snapshot_of(again.folder)[name][0] == sha, name


def test_a_build_asked_for_by_hand_always_writes(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """`ipwh returns build` (no reuse) writes the draft again, and a reason or a subset is never reused."""
    outbox = tmp_path / "outbox"
    build_period(warehouse, outbox, PERIOD, reuse_draft=True)
    assert not build_period(warehouse, outbox, PERIOD).reused
    assert not build_period(warehouse, outbox, PERIOD, reason="更正", reuse_draft=True).reused
    only = build_period(warehouse, outbox, PERIOD, only=["r1_fz14_monitoring"], reuse_draft=True)
    assert not only.reused
    assert not build_period(warehouse, outbox, PERIOD, reuse_draft=True).reused  # after the subset: whole again
