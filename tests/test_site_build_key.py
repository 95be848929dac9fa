"""The site's build key (monitoring_site/build_key.py): equal for runs that change nothing the site
shows, different for anything it shows."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from core.build_state import MODEL_INPUTS_TABLE, SCHEMA
from expectations.results import CheckOutcome, ensure_quality_schema, record_outcomes
from monitoring_site.build_key import KEY_FILE, site_current, site_inputs_key

TODAY = date(2026, 11, 21)


def check_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str = "passed", at: int = 10) -> None:
    finished = datetime(2026, 11, 21, at, 0)
    con.execute(
        "insert into quality.check_runs values (?, ?, ?, 'test', ?, ?)", [run_id, finished, finished, TODAY, None]
    )
    outcome = CheckOutcome("counties_sum", "marts/fct_element_values", "error", status, "合计")
    record_outcomes(con, run_id, [outcome], finished)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(f"create schema {SCHEMA}")
    connection.execute(f"create table {MODEL_INPUTS_TABLE} as select 'A' as fingerprint, now() as built_at")
    ensure_quality_schema(connection)
    check_run(connection, "run-1")
    return connection


def test_a_new_check_run_with_the_same_outcomes_keeps_the_key(con: duckdb.DuckDBPyConnection) -> None:
    before = site_inputs_key(con, TODAY)
    check_run(con, "run-2", at=11)
    assert before is not None and site_inputs_key(con, TODAY) == before


def test_what_the_site_shows_changes_the_key(con: duckdb.DuckDBPyConnection) -> None:
    keys = {site_inputs_key(con, TODAY)}
    check_run(con, "run-2", status="failed", at=11)
    keys.add(site_inputs_key(con, TODAY))
    explanation = ["E1", "counties_sum", "2026-10", "口径不同", "李四", datetime(2026, 11, 21, 12), "run-2", "d", 1]
    con.execute("insert into quality.explanations values (?, ?, ?, ?, ?, ?, ?, ?, ?)", explanation)
    keys.add(site_inputs_key(con, TODAY))
    keys.add(site_inputs_key(con, date(2026, 11, 22)))
    con.execute(f"update {MODEL_INPUTS_TABLE} set fingerprint = 'B'")
    keys.add(site_inputs_key(con, TODAY))
    assert len(keys) == 5


def test_without_a_complete_model_build_there_is_no_key(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"delete from {MODEL_INPUTS_TABLE}")
    assert site_inputs_key(con, TODAY) is None
    assert not site_current(Path("/nonexistent"), None)


def test_the_site_on_disk_is_current_only_with_its_key_and_its_pages(tmp_path: Path) -> None:
    assert not site_current(tmp_path, "k")
    (tmp_path / KEY_FILE).write_text("k", encoding="utf-8")
    assert not site_current(tmp_path, "k")  # no index.html: a half-deleted site is rebuilt
    (tmp_path / "index.html").write_text("<html></html>", encoding="utf-8")
    assert site_current(tmp_path, "k")
    assert not site_current(tmp_path, "other")
