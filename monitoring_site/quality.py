"""The 数据质量 page and the home page's gate state: completeness and timeliness by department over
time (fct_submission_completeness), the gate's history and the explained warnings (quality schema in
the snapshot; the gate's own decision function is reused, so the site and `ipwh returns` agree)."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd

from monitoring_site.data import SiteData
from monitoring_site.formatting import MISSING, flag, is_missing, percent

PERIOD_LABELS = {"month": "月报", "quarter": "季报", "year": "年报"}
HISTORY_PERIODS = 6


def _due(frame: pd.DataFrame, today: date) -> pd.DataFrame:
    frame = frame[frame["is_expected"].fillna(False).astype(bool)]
    return frame[pd.to_datetime(frame["due_date"]).dt.date <= today]


def latest_ended_periods(data: SiteData, today: date) -> dict[str, str]:
    """The latest period of each type whose forms were due by today."""
    due = _due(data.marts["fct_submission_completeness"], today)
    found = {}
    for period_type in PERIOD_LABELS:
        typed = due[due["period_type"] == period_type]
        if len(typed):
            found[period_type] = str(typed.loc[typed["period_end"].idxmax(), "period_code"])
    return found


def _state(r: Any) -> str:
    if flag(r.is_on_time):
        return "按时"
    if flag(r.is_late):
        return f"迟报 {int(r.days_late)} 天" if not is_missing(r.days_late) else "迟报"
    if flag(r.is_missing):
        return "缺报"
    return str(r.submission_status) if not is_missing(r.submission_status) else MISSING


def late_table(data: SiteData, today: date) -> dict[str, Any]:
    """Which departments were late or missing in the latest month and quarter."""
    completeness = data.marts["fct_submission_completeness"]
    periods = latest_ended_periods(data, today)
    wanted = [periods[t] for t in ("quarter", "month") if t in periods]
    rows = completeness[
        completeness["period_code"].isin(wanted)
        & (completeness["is_late"].fillna(False) | completeness["is_missing"].fillna(False))
    ]
    rows = rows.sort_values(["period_code", "is_missing", "days_late"], ascending=[False, False, False])
    out = [
        [r.period_code, r.department_name, r.form_name, r.table_no, str(pd.Timestamp(r.due_date).date()), _state(r)]
        for r in rows.itertuples()
    ]
    title = "本期迟报、缺报的部门（" + "、".join(wanted) + "）" if wanted else "本期迟报、缺报的部门"
    return {
        "title": title,
        "table": {"header": ["报告期", "部门", "报表", "表号", "截止日", "情况"], "rows": out, "numeric": set()},
    }


def timeliness(data: SiteData, today: date) -> tuple[list[dict], list[dict]]:
    """Completeness and timeliness of every form due, per period (latest periods of each type)."""
    due = _due(data.marts["fct_submission_completeness"], today)
    blocks, charts = [], []
    for period_type, label in PERIOD_LABELS.items():
        typed = due[due["period_type"] == period_type]
        if typed.empty:
            continue
        grouped = typed.groupby(["period_code", "period_end"], as_index=False).agg(
            expected=("is_expected", "count"),
            received=("is_received", "sum"),
            on_time=("is_on_time", "sum"),
            late=("is_late", "sum"),
            missing=("is_missing", "sum"),
        )
        grouped = grouped.sort_values("period_end").tail(HISTORY_PERIODS)
        rows, complete_pct, on_time_pct = [], [], []
        for g in grouped.itertuples():
            c = 100.0 * g.received / g.expected if g.expected else None
            t = 100.0 * g.on_time / g.expected if g.expected else None
            complete_pct.append(None if c is None else round(c, 1))
            on_time_pct.append(None if t is None else round(t, 1))
            rows.append(
                [
                    g.period_code,
                    int(g.expected),
                    int(g.received),
                    int(g.on_time),
                    int(g.late),
                    int(g.missing),
                    percent(c),
                    percent(t),
                ]
            )
        chart = {
            "id": f"chart-timeliness-{period_type}",
            "title": f"{label}完整率与及时率",
            "spec": {
                "type": "line",
                "categories": list(grouped["period_code"]),
                "unit": "%",
                "decimals": 1,
                "ymin": 0,
                "ymax": 100,
                "series": [
                    {"name": "完整率", "data": complete_pct, "color": "#0b4a8b"},
                    {"name": "及时率", "data": on_time_pct, "color": "#c2410c", "style": "dashed"},
                ],
            },
        }
        header = ["报告期", "应报", "已报", "按时", "迟报", "缺报", "完整率", "及时率"]
        blocks.append(
            {
                "title": f"{label}：完整率与及时率",
                "chart": chart,
                "table": {"header": header, "rows": rows, "numeric": {1, 2, 3, 4, 5, 6, 7}},
            }
        )
        charts.append(chart)
    return blocks, charts


def by_department(data: SiteData, today: date) -> dict[str, Any]:
    """Department × recent quarter/month: on time, late by N days, or missing."""
    due = _due(data.marts["fct_submission_completeness"], today)
    periods: list[str] = []
    for period_type in ("quarter", "month"):
        typed = due[due["period_type"] == period_type]
        periods += list(typed.drop_duplicates("period_code").sort_values("period_end")["period_code"].tail(3))
    rows = []
    chosen = due[due["period_code"].isin(periods)]
    for (dept, form), group in chosen.groupby(["department_name", "form_name"], sort=True):
        states = {r.period_code: _state(r) for r in group.itertuples()}
        rows.append([dept, form, *[states.get(p, "") for p in periods]])
    return {"header": ["部门", "报表", *periods], "rows": rows, "numeric": set()}


def gate_states(con: duckdb.DuckDBPyConnection | None, data: SiteData, today: date) -> dict[str, Any]:
    """The gate for the latest ended month, quarter and year, as `ipwh returns` would decide it."""
    if data.quality is None or con is None:
        return {"checked_at": None, "gates": []}
    from expectations.gate import gate_decision
    from sources.periods import Period

    runs = data.quality["check_runs"].dropna(subset=["finished_at"])
    if runs.empty:
        return {"checked_at": None, "gates": []}
    latest = runs.sort_values("finished_at").iloc[-1]
    gates = []
    for period_type, code in latest_ended_periods(data, today).items():
        decision = gate_decision(con, Period.parse(code))
        gates.append(
            {
                "label": f"{PERIOD_LABELS[period_type]} {code}",
                "passed": decision.passed,
                "blockers": len(decision.blockers),
                "explained": len(decision.explained),
            }
        )
    return {"checked_at": str(latest["finished_at"])[:16], "as_of": str(latest["as_of"])[:10], "gates": gates}


def gate_history(data: SiteData) -> dict[str, Any]:
    if data.quality is None:
        return {"header": [], "rows": [], "numeric": set()}
    results = data.quality["check_results"]
    runs = data.quality["check_runs"].sort_values("started_at", ascending=False)
    rows = []
    for run in runs.itertuples():
        mine = results[results["run_id"] == run.run_id]
        errors = mine[(mine["severity"] == "error") & (mine["status"] != "passed")]
        warnings = mine[(mine["severity"] == "warning") & (mine["status"] != "passed")]
        rows.append(
            [
                str(run.started_at)[:16],
                str(run.as_of)[:10],
                run.trigger,
                len(mine),
                len(errors),
                len(warnings),
                "有错误：涉及的报告期不得上报"
                if len(errors)
                else "仅有警告：书面说明后可上报"
                if len(warnings)
                else "全部通过",
            ]
        )
    header = ["检查时间", "检查日", "触发", "检查结果数", "未通过的错误", "未通过的警告", "结论"]
    return {"header": header, "rows": rows, "numeric": {3, 4, 5}}


def explanations(data: SiteData) -> dict[str, Any]:
    if data.quality is None:
        return {"header": [], "rows": [], "numeric": set()}
    frame = data.quality["explanations"].sort_values("explained_at", ascending=False)
    rows = [
        [r.check_name, r.period_code, r.reason, r.explained_by, str(r.explained_at)[:16]] for r in frame.itertuples()
    ]
    return {"header": ["检查", "报告期", "说明", "说明人", "时间"], "rows": rows, "numeric": set()}
