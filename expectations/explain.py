"""Analysts' written explanations of warnings: who, when, why. Errors cannot be explained away.

An explanation names the failure it explains: the check, the period and the failing rows of the
latest check run (kept as a digest). One written before any failure exists is refused, and one
whose rows have changed since (another department late, a different figure) no longer counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import duckdb

from expectations.results import ensure_quality_schema, explanation_columns
from expectations.rules import rules_by_code
from sources.periods import Period


class ExplanationRefused(ValueError):
    """The explanation cannot be recorded; the message (Chinese) says why."""


def validate_explanation(check_name: str, period: str, reason: str) -> str:
    """The explanation's period code, or ExplanationRefused saying what is wrong (no warehouse needed)."""
    rules = rules_by_code()
    rule = rules.get(check_name)
    if rule is None:
        raise ExplanationRefused(f"没有名为 {check_name!r} 的检查。可选：{'、'.join(sorted(rules))}")
    if rule.severity != "warning":
        raise ExplanationRefused(
            f"{check_name}（{rule.name}）是错误级检查，不能以说明放行：须由相关单位更正数据后重新运行。"
        )
    if not reason.strip():
        raise ExplanationRefused('说明不能为空：请写明原因，如 --reason "已电话催报，单位承诺11月25日前补报"。')
    return Period.parse(period).code


@dataclass(frozen=True)
class Explanation:
    explanation_id: str
    check_name: str
    period_code: str
    reason: str
    explained_by: str
    explained_at: datetime
    failed_rows: int


def latest_run_id(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        "select run_id from quality.check_runs where finished_at is not null order by finished_at desc limit 1"
    ).fetchone()
    return row[0] if row else None


def failure_digests(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[tuple[str, str], tuple[str, int]]:
    """(check, period) -> (digest of the failing rows, their count) in `run_id`.

    A row is who and what failed (region, department, form, subject, submission, observed value);
    the expected side is left out, since thresholds drawn from history move as history grows."""
    rows: dict[tuple[str, str], list[str]] = {}
    for check, period, *identity in con.execute(
        """
        select check_name, period_code, region_code, department_code, form_code, subject_code, submission_id,
               observed
        from quality.check_failures where run_id = ? and period_code is not null
        """,
        [run_id],
    ).fetchall():
        rows.setdefault((check, period), []).append("|".join("" if v is None else str(v) for v in identity))
    return {
        key: (hashlib.sha256("\n".join(sorted(found)).encode()).hexdigest(), len(found)) for key, found in rows.items()
    }


def record_explanation(
    con: duckdb.DuckDBPyConnection, check_name: str, period: str, reason: str, by: str, at: datetime
) -> str:
    """Append one explanation of the latest run's failures of `check_name` in `period`; returns its id.

    Refused when that run found no failure there. The same text again by the same person for the
    same failing rows is a no-op."""
    code = validate_explanation(check_name, period, reason)
    text = reason.strip()
    if not by.strip():
        raise ExplanationRefused("说明人不能为空（--by）。")
    ensure_quality_schema(con)
    run_id = latest_run_id(con)
    if run_id is None:
        raise ExplanationRefused("质量检查尚未运行：说明只能针对已查出的问题，请先运行 ipwh run 或 ipwh check。")
    found = failure_digests(con, run_id).get((check_name, code))
    if found is None:
        failing = "、".join(failing_periods(con, check_name)) or "无"
        raise ExplanationRefused(
            f"最近一次检查（{run_id}）中 {check_name} 在 {code} 没有未通过项，无可说明的问题：说明须针对已查出的问题，"
            f"问题出现后再写。该检查当前未通过的报告期：{failing}。"
        )
    failure_digest, failed_rows = found
    same = con.execute(
        "select explanation_id from quality.explanations where check_name = ? and period_code = ? and reason = ? "
        "and explained_by = ? and failure_digest = ?",
        [check_name, code, text, by, failure_digest],
    ).fetchone()
    if same:
        return same[0]
    digest = hashlib.sha256(f"{check_name}|{code}|{text}|{by}|{at.isoformat()}".encode()).hexdigest()[:8]
    explanation_id = f"E{at:%Y%m%d%H%M%S}{digest}"
    con.execute(
        "insert into quality.explanations (explanation_id, check_name, period_code, reason, explained_by, "
        "explained_at, run_id, failure_digest, failed_rows) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [explanation_id, check_name, code, text, by, at, run_id, failure_digest, failed_rows],
    )
    return explanation_id


def standing_explanations(
    con: duckdb.DuckDBPyConnection, run_id: str
) -> tuple[dict[tuple[str, str], Explanation], set[tuple[str, str]]]:
    """The explanations that still hold in `run_id` (same failing rows), latest per (check, period),
    and the (check, period) pairs whose explanations have lapsed because the rows changed.

    Works on a read-only connection; explanations written before digests existed have lapsed."""
    if "failure_digest" not in explanation_columns(con):
        lapsed = {(c, p) for c, p in con.execute("select check_name, period_code from quality.explanations").fetchall()}
        return {}, lapsed
    digests = failure_digests(con, run_id)
    standing: dict[tuple[str, str], Explanation] = {}
    lapsed: set[tuple[str, str]] = set()
    for eid, check, period, reason, by, at, failure_digest, failed_rows in con.execute(
        "select explanation_id, check_name, period_code, reason, explained_by, explained_at, failure_digest, "
        "failed_rows from quality.explanations order by explained_at, explanation_id"
    ).fetchall():
        key = (check, period)
        current = digests.get(key)
        if current is not None and current[0] == failure_digest:
            standing[key] = Explanation(eid, check, period, reason, by, at, failed_rows)
        else:
            lapsed.add(key)
    return standing, lapsed - set(standing)


def failing_periods(con: duckdb.DuckDBPyConnection, check_name: str) -> list[str]:
    """Periods in which the latest finished run found `check_name` failing."""
    return [
        row[0]
        for row in con.execute(
            """
            select distinct r.period_code from quality.check_results as r
            where r.check_name = ? and r.status = 'failed' and r.period_code is not null and r.run_id = (
                select run_id from quality.check_runs where finished_at is not null order by finished_at desc limit 1)
            order by 1
            """,
            [check_name],
        ).fetchall()
    ]
