"""What a build is compared with (orchestration/build_inputs.py): which raw tables changed since the
last complete build, and which models those changes reach."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
from dagster import AssetKey

from orchestration.build_inputs import (
    changed_raw_tables,
    downstream_of_raw,
    forget_models_built,
    raw_table_fingerprints,
    record_models_built,
)

AT = datetime(2026, 11, 21, 9, 0)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("create schema raw")
    connection.execute("create table raw.submissions as select 1 as id, 'a' as v")
    connection.execute("create table raw.patent_records as select 10 as id")
    return connection


def record(con: duckdb.DuckDBPyConnection, seeds: str = "s", project: str = "p") -> None:
    record_models_built(con, seeds, project, raw_table_fingerprints(con), AT)


def test_nothing_on_record_means_build_everything(con: duckdb.DuckDBPyConnection) -> None:
    assert changed_raw_tables(con, "s", "p") is None


def test_after_a_complete_build_nothing_has_changed(con: duckdb.DuckDBPyConnection) -> None:
    record(con)
    assert changed_raw_tables(con, "s", "p") == set()


@pytest.mark.parametrize(
    "change",
    [
        "insert into raw.submissions values (2, 'b')",
        "update raw.submissions set v = 'b'",  # same row count, other content
        "delete from raw.submissions",
    ],
)
def test_a_changed_table_is_named_and_only_it(con: duckdb.DuckDBPyConnection, change: str) -> None:
    record(con)
    con.execute(change)
    assert changed_raw_tables(con, "s", "p") == {"submissions"}


def test_a_new_raw_table_counts_as_changed(con: duckdb.DuckDBPyConnection) -> None:
    record(con)
    con.execute("create table raw.task_reports as select 1 as id")
    assert changed_raw_tables(con, "s", "p") == {"task_reports"}


@pytest.mark.parametrize(("seeds", "project"), [("other-catalogue", "p"), ("s", "other-project-or-day")])
def test_another_catalogue_project_or_day_means_build_everything(
    con: duckdb.DuckDBPyConnection, seeds: str, project: str
) -> None:
    record(con)
    assert changed_raw_tables(con, seeds, project) is None


def test_a_build_in_progress_or_failed_leaves_nothing_to_compare_with(con: duckdb.DuckDBPyConnection) -> None:
    record(con)
    forget_models_built(con)
    assert changed_raw_tables(con, "s", "p") is None


def key(*path: str) -> AssetKey:
    return AssetKey(list(path))


def test_the_models_reached_are_those_reading_a_changed_table_directly_or_through_others() -> None:
    deps = {
        key("staging", "stg_submissions"): {key("raw", "submissions")},
        key("staging", "stg_patents"): {key("raw", "patent_records")},
        key("intermediate", "int_values"): {key("staging", "stg_submissions"), key("catalogue", "regions")},
        key("marts", "fct_values"): {key("intermediate", "int_values"), key("staging", "stg_patents")},
        key("marts", "dim_targets"): {key("catalogue", "targets")},
    }
    assert downstream_of_raw(deps, {"submissions"}) == {
        key("staging", "stg_submissions"),
        key("intermediate", "int_values"),
        key("marts", "fct_values"),
    }
    assert downstream_of_raw(deps, {"patent_records"}) == {key("staging", "stg_patents"), key("marts", "fct_values")}
    assert downstream_of_raw(deps, set()) == set()


def test_what_an_inbox_intake_may_write_includes_task_reports_and_centre_summaries(tmp_path) -> None:
    """A refresh with files waiting rebuilds what every table intake could write is upstream of: a form
    may be a task-report form; a file under inbox/centres/ is a centre's annual summary."""
    from orchestration.intake_assets import INTAKE_TABLES, tables_intake_may_write
    from sources.intake.pipeline import Incoming

    form = Incoming(tmp_path / "inbox" / "350100.amr" / "a.xlsx", "350100.amr", remove_after=True)
    summary = Incoming(tmp_path / "inbox" / "centres" / "C01" / "2025.pdf", "centres", remove_after=True)
    assert tables_intake_may_write([]) == set()
    assert tables_intake_may_write([form]) == {*INTAKE_TABLES, "task_reports"}
    assert tables_intake_may_write([form, summary]) == {*INTAKE_TABLES, "task_reports", "centre_summaries"}
