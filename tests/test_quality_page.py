"""The quality page (var/quality/index.html) as an analyst reads it: which periods the gate would
let through after each run, the counts, times to the second, and red only for real problems."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import duckdb

from expectations.publish import gate_periods, publish
from expectations.results import ensure_quality_schema
from sources.periods import Period


def _run(con: duckdb.DuckDBPyConnection, run_id: str, started: datetime, failing: bool) -> None:
    con.execute(
        "insert into quality.check_runs values (?, ?, ?, 'cli', ?, ?)",
        [run_id, started, started.replace(second=started.second + 7), date(2026, 11, 21), started],
    )
    rows = [("forms_on_time", "marts/fct_submission_completeness", "warning", "passed", "2026-10", 40, 0, "按时")]
    if failing:
        rows.append(
            (
                "unit_slip",
                "intermediate/int_submission_values__latest",
                "error",
                "failed",
                "2026-10",
                9,
                1,
                "疑似单位错填",
            )
        )
    for name, asset, severity, status, period, checked, failed, message in rows:
        con.execute(
            "insert into quality.check_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, name, asset, severity, status, period, checked, failed, message, started],
        )


def test_gate_periods_are_the_latest_ended_month_quarter_and_year() -> None:
    assert [p.code for p in gate_periods(date(2026, 11, 21))] == ["2026-10", "2026Q3", "2025"]
    assert Period.parse("2026Q3") in gate_periods(date(2026, 10, 1))


def test_index_shows_periods_verdicts_counts_and_seconds(tmp_path: Path) -> None:
    folder = tmp_path / "quality"
    with duckdb.connect() as con:
        ensure_quality_schema(con)
        _run(con, "cli-1", datetime(2026, 11, 21, 9, 30, 12, 123456), failing=True)
        publish(con, folder, "cli-1")
        _run(con, "cli-2", datetime(2026, 11, 21, 9, 31, 40, 654321), failing=False)
        publish(con, folder, "cli-2")
    index = (folder / "index.html").read_text(encoding="utf-8")
    first, second = re.findall(r"<tr><td><a href='runs/.*?</tr>", index)
    assert "cli-2" in first and "cli-1" in second  # newest first
    assert "2026-10 未通过（1 项）" in second and "2026-10 通过" in first
    assert "2026Q3" in first and "2025" in first
    assert "2026-11-21 09:30:12" in second and "09:30:12.123456" not in index
    assert "<td class='n failed'>1</td>" in second  # one failed check, in red
    assert "class='n error'>0" not in index and "class='n failed'>0" not in index  # a zero is never red
    assert "<td class='n'>0</td>" in first
    run_page = (folder / "runs" / "cli-1.html").read_text(encoding="utf-8")
    assert "上报关卡（本次运行）" in run_page and "2026-10 未通过" in run_page
