"""Analysts' written explanations of warnings: who, when, why. Errors cannot be explained away."""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb

from expectations.results import ensure_quality_schema
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


def record_explanation(
    con: duckdb.DuckDBPyConnection, check_name: str, period: str, reason: str, by: str, at: datetime
) -> str:
    """Append one explanation; returns its id. The same text again by the same person is a no-op."""
    code = validate_explanation(check_name, period, reason)
    text = reason.strip()
    if not by.strip():
        raise ExplanationRefused("说明人不能为空（--by）。")
    ensure_quality_schema(con)
    same = con.execute(
        "select explanation_id from quality.explanations where check_name = ? and period_code = ? and reason = ? "
        "and explained_by = ?",
        [check_name, code, text, by],
    ).fetchone()
    if same:
        return same[0]
    digest = hashlib.sha256(f"{check_name}|{code}|{text}|{by}|{at.isoformat()}".encode()).hexdigest()[:8]
    explanation_id = f"E{at:%Y%m%d%H%M%S}{digest}"
    con.execute(
        "insert into quality.explanations values (?, ?, ?, ?, ?, ?)", [explanation_id, check_name, code, text, by, at]
    )
    return explanation_id


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
