"""Row sources: the queries on the marts that a definition's `source:` names.

Each source returns the rows of one return (dicts keyed by column key), the context its headers,
title and notes are filled from, and for each row the keys that trace its figures to submissions.
Row keys starting with `_` are for the writer (the row's unit decimals, its trace keys, its subjects
for matching the gate's explained warnings), never shown as columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import duckdb

from sources.periods import Period

Row = dict[str, Any]


class ReturnDataMissing(Exception):
    """A mart a return needs is not in the warehouse; the message says which and what to do."""


@dataclass(frozen=True)
class TraceKey:
    """What a figure was computed from: an indicator for a region and period, or a department's reports."""

    kind: str  # "indicator" | "department" | "task"
    subject: str  # indicator code, department code or task code
    region_code: str | None
    period_code: str  # "department": the return's period (all native periods inside it); "task": the report's
    label: str  # what the figure is, for the 数据来源 sheet


@dataclass(frozen=True)
class SeriesPoint:
    year: int
    value: Decimal | None


@dataclass(frozen=True)
class ChartSeries:
    """One target's annual series against its target path, for the chart sheet."""

    title: str
    unit: str
    decimals: int
    target_kind: str | None
    baseline_year: int | None
    baseline_value: Decimal | None
    target_year: int | None
    target_value: Decimal | None
    points: tuple[SeriesPoint, ...]


@dataclass
class SourceResult:
    rows: list[Row]
    context: dict[str, str]
    issuer: str | None = None
    sample: bool = False
    series: list[ChartSeries] = field(default_factory=list)
    as_of: str | None = None  # the latest data day the rows stand on (for the document's created time)
    notes: list[str] = field(default_factory=list)  # 说明 the rows call for (after the definition's own)


Source = Callable[[duckdb.DuckDBPyConnection, Period, dict[str, Any]], SourceResult]


def _require(con: duckdb.DuckDBPyConnection, qualified: str) -> None:
    schema, table = qualified.split(".")
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = ? and table_catalog = current_database()",
        [schema, table],
    ).fetchone()[0]
    if not found:
        raise ReturnDataMissing(f"仓库中没有 {qualified}：该报表所需的数据集市尚未构建，请先运行 ipwh run。")


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[Row]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, values, strict=True)) for values in cur.fetchall()]


def _plan_context(con: duckdb.DuckDBPyConnection, plan_code: str) -> dict[str, Any]:
    _require(con, "catalogue.plans")
    rows = _dicts(
        con.execute(
            """
            select p.plan_code, p.plan_title, p.doc_number, p.issuer, p.region_code, r.region_name,
                   p.start_date, p.end_date, p.baseline_year, p.citation as plan_citation
            from catalogue.plans p join catalogue.regions r using (region_code)
            where p.plan_code = ?
            """,
            [plan_code],
        )
    )
    if not rows:
        raise ReturnDataMissing(f"目录中没有规划 {plan_code}：请检查报表定义的 params.plan。")
    plan = rows[0]
    return {
        **plan,
        "start_year": plan["start_date"].year,
        "end_year": plan["end_date"].year,
        "baseline_year": plan["baseline_year"] or plan["start_date"].year - 1,
        "doc_number": plan["doc_number"] or "文号未见",
    }


def _convert(value: Decimal | None, from_factor: Decimal | None, to_factor: Decimal | None) -> Decimal | None:
    if value is None or from_factor is None or to_factor is None:
        return None
    return value * from_factor / to_factor


# --- plan targets (returns 1–4) ----------------------------------------------------------------------


def plan_targets(con: duckdb.DuckDBPyConnection, period: Period, params: dict[str, Any]) -> SourceResult:
    """One row per target of `params.plan`: baseline, target, the period's value and 同比 on the plan's
    region, and the latest evaluation (completion, 序时进度, status) dated on or before the period end."""
    for table in (
        "marts.dim_plan_targets",
        "marts.fct_target_progress",
        "marts.fct_target_progress_history",
        "marts.fct_indicator_values",
    ):
        _require(con, table)
    plan = _plan_context(con, str(params["plan"]))
    same_last_year = period.same_period_last_year().code
    rows = _dicts(
        con.execute(
            """
            with h as (
                select * from marts.fct_target_progress_history
                where plan_code = $plan and evaluation_date <= $period_end
                qualify row_number() over (partition by target_code order by evaluation_date desc) = 1
            )
            select
                t.target_code, t.target_no, t.indicator_code,
                t.indicator_name
                || case when 'inferred' in (t.indicator_name_status, t.target_name_status) then '（推断）' else '' end
                    as indicator_name,
                t.target_text, t.target_kind, t.target_kind_name, t.partial_year_rule, t.comparator,
                t.target_value_status,
                case when t.target_value_status in ('stated', 'inferred') then t.target_value end as target_value,
                t.target_date, year(t.target_date) as target_year,
                t.target_unit_name as unit_name, tu.decimals as _decimals, tu.to_base_factor as target_factor,
                tu.dimension as target_dimension,
                p.baseline_value, p.baseline_source, coalesce(t.baseline_period, cast(year(p.baseline_date) as varchar))
                    as baseline_period,
                t.reported_actual, t.reported_verdict, t.citation, t.region_code, t.region_name, t.note,
                (select list(it.element_code order by it.element_code) from catalogue.indicator_terms it
                 where it.indicator_code = t.indicator_code) as element_codes,
                iv.value as indicator_value, ly.value as indicator_last_year, iv.yoy_pct, iv.null_reason,
                iu.to_base_factor as indicator_factor, iu.dimension as indicator_dimension,
                iu.unit_name as indicator_unit, iv.is_sample as value_is_sample, iv.period_end as value_period_end,
                h.evaluation_date, h.current_value, h.current_value_source, h.completion_pct, h.time_elapsed_pct,
                h.status, h.status_note, h.final_verdict, h.data_end, h.is_sample as progress_is_sample,
                t.period_start, t.period_end, p.window_is_exact, p.judgement as _judgement,
                coalesce(h.final_verdict is not null and h.final_verdict = t.reported_verdict, false) as verdict_agrees
            from marts.dim_plan_targets t
            join catalogue.units tu on tu.unit_code = t.target_unit_code
            left join marts.fct_target_progress p on p.target_code = t.target_code
            left join marts.fct_indicator_values iv
                on iv.indicator_code = t.indicator_code and iv.region_code = t.region_code
                and iv.period_code = $period_code
            left join marts.fct_indicator_values ly
                on ly.indicator_code = t.indicator_code and ly.region_code = t.region_code
                and ly.period_code = $last_year_code
            join catalogue.indicators i on i.indicator_code = t.indicator_code
            join catalogue.units iu on iu.unit_code = i.unit_code
            left join h on h.target_code = t.target_code
            where t.plan_code = $plan
            order by t.target_no
            """,
            {
                "plan": plan["plan_code"],
                "period_end": period.end,
                "period_code": period.code,
                "last_year_code": same_last_year,
            },
        )
    )
    sample = False
    latest: str | None = None
    for row in rows:
        comparable = row["indicator_dimension"] == row["target_dimension"]
        row["period_value"] = (
            _convert(row["indicator_value"], row["indicator_factor"], row["target_factor"]) if comparable else None
        )
        row["last_year_value"] = (
            _convert(row["indicator_last_year"], row["indicator_factor"], row["target_factor"]) if comparable else None
        )
        row["target_display"] = _target_display(row)
        row["_trace"] = [
            TraceKey("indicator", row["indicator_code"], row["region_code"], period.code, "本期值"),
            TraceKey("indicator", row["indicator_code"], row["region_code"], same_last_year, "上年同期"),
        ]
        row["_subjects"] = {row["indicator_code"], row["target_code"], *(row["element_codes"] or [])}
        sample = sample or bool(row["value_is_sample"]) or bool(row["progress_is_sample"])
        if row["data_end"] is not None:
            latest = max(latest or "", row["data_end"].isoformat())
    context = {
        **{k: str(v) for k, v in plan.items() if v is not None},
        "period_label": period.label,
        "period_code": period.code,
    }
    series = _plan_series(con, plan, rows, period) if rows else []
    return SourceResult(rows, context, plan["issuer"], sample, series, latest, _target_notes(rows))


WINDOW_KINDS = {"cumulative_min", "share_min", "absence"}  # kinds judged on a sum over the window
PARTIAL_YEARS_MOOT = {"level_by_date", "count_by_date", "coverage_min"}  # judged at a date, not over years


def _target_notes(rows: list[Row]) -> list[str]:
    """说明 for the plan's targets, kept short (they share the last page with the signature): how each
    kind judges a partial first or last year when the window does not run in whole years, windows
    cut at exact dates or taken in whole months, and for targets whose value is our reading or that
    are ranked, why."""
    notes: list[str] = []
    rules: dict[str, str] = {}
    for row in rows:
        start, end = row["period_start"], row["period_end"]
        whole_years = (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
        kind = row["target_kind"]
        if not whole_years and kind and kind not in PARTIAL_YEARS_MOOT and row["partial_year_rule"]:
            rules.setdefault(row["target_kind_name"], row["partial_year_rule"])
    if rules:
        notes.append("规划期首末年度不完整时：" + "；".join(f"{k}类{v}" for k, v in rules.items()) + "。")
    for row in rows:
        start, end = row["period_start"], row["period_end"]
        cut = start.day != 1 or (end + timedelta(days=1)).day != 1
        summed = row["target_kind"] in WINDOW_KINDS and row["_judgement"] != "each_year"
        label = f"第{row['target_no']}项"
        if summed and cut and row["window_is_exact"] is not None:
            how = "由专利明细数据按起止日截取" if row["window_is_exact"] else "按报告期数据计算，首末报告期按整期计入"
            notes.append(f"{label}{how}（规划期{start:%Y年%-m月%-d日}至{end:%Y年%-m月%-d日}）。")
        said = []
        if row["target_value_status"] == "inferred":
            said.append("目标值为推断（原文未给数值）")
        if row["target_kind"] == "rank_max" and row["status"] == "数据不足" and row["status_note"]:
            said.append(f"数据不足：{row['status_note']}")
        if said:
            notes.append(f"{label}" + "；".join(said) + "。")
    return notes


def _target_display(row: Row) -> str | None:
    if row["target_value_status"] == "unknown":
        return "目标值未知"
    if row["target_value"] is None:
        return row["target_kind_name"]
    return None


def _plan_series(
    con: duckdb.DuckDBPyConnection, plan: dict[str, Any], rows: list[Row], period: Period
) -> list[ChartSeries]:
    """Annual values of each target's indicator on the plan's region, baseline year to the period's year."""
    first = int(plan["baseline_year"])
    last = min(int(plan["end_year"]), period.end.year if period.period_type == "year" else period.end.year - 1)
    values = con.execute(
        """
        select v.indicator_code, v.period_year, v.value, u.to_base_factor
        from marts.fct_indicator_values v join catalogue.units u using (unit_code)
        where v.region_code = ? and v.period_type = 'year' and v.period_year between ? and ?
        """,
        [plan["region_code"], first, last],
    ).fetchall()
    by_key = {(code, year): (value, factor) for code, year, value, factor in values}
    out: list[ChartSeries] = []
    for row in rows:
        if row["indicator_dimension"] != row["target_dimension"]:
            continue  # growth-rate targets: the annual level is not in the target's unit
        points = []
        for year in range(first, last + 1):
            value, factor = by_key.get((row["indicator_code"], year), (None, None))
            points.append(SeriesPoint(year, _convert(value, factor, row["target_factor"])))
        baseline = row["baseline_value"]
        out.append(
            ChartSeries(
                title=f"{row['target_no']}. {row['indicator_name']}",
                unit=row["unit_name"],
                decimals=int(row["_decimals"] or 0),
                target_kind=row["target_kind"],
                baseline_year=first,
                baseline_value=baseline if row["baseline_period"] == str(first) else None,
                target_year=row["target_year"],
                target_value=row["target_value"],
                points=tuple(points),
            )
        )
    return out


# --- submission status (return 6) ----------------------------------------------------------------------


def submission_status(con: duckdb.DuckDBPyConnection, period: Period, params: dict[str, Any]) -> SourceResult:
    """One row per reporting department: reports due in the period (every form whose period lies inside
    it), received, on time, late, missing, and the rates; a 合计 row last."""
    _require(con, "marts.fct_submission_completeness")
    _require(con, "catalogue.departments")
    counts = """
        count(*) as expected,
        count(*) filter (where c.is_received) as received,
        count(*) filter (where c.is_on_time) as on_time,
        count(*) filter (where c.is_late) as late,
        count(*) filter (where c.is_missing) as missing,
        count(*) filter (where not c.is_received and not c.is_missing) as not_yet_due,
        round(count(*) filter (where c.is_received) * 100.0 / count(*), 2) as completeness_pct,
        round(count(*) filter (where c.is_on_time) * 100.0 / count(*), 2) as timeliness_pct,
        max(c.days_late) as max_days_late,
        string_agg(distinct case when c.is_missing then c.table_no || '（' || c.period_code || '）' end, '、'
                   order by case when c.is_missing then c.table_no || '（' || c.period_code || '）' end)
            as missing_forms,
        bool_or(c.is_sample) as is_sample,
        max(c.first_accepted_at) as last_accepted_at
    """
    where = "c.is_expected and c.period_end between $start and $end"
    rows = _dicts(
        con.execute(
            f"""
            select c.department_code, coalesce(d.department_name, c.department_name) as department_name,
                   c.region_code, r.region_name, list(distinct c.form_code) as form_codes, {counts}
            from marts.fct_submission_completeness c
            left join catalogue.departments d on d.department_code = c.department_code
            left join catalogue.regions r on r.region_code = c.region_code
            where {where}
            group by all
            order by c.region_code, c.department_code
            """,
            {"start": period.start, "end": period.end},
        )
    )
    total = _dicts(
        con.execute(
            f"select '合计' as department_name, {counts} from marts.fct_submission_completeness c where {where}",
            {"start": period.start, "end": period.end},
        )
    )
    for row in rows:
        row["_trace"] = [TraceKey("department", row["department_code"], None, period.code, "已接收报表")]
        row["_subjects"] = {row["department_code"], *row.pop("form_codes")}
    if total and total[0]["expected"]:
        total[0]["_total"] = True
        rows.append(total[0])
    latest = max((r["last_accepted_at"] for r in rows if r.get("last_accepted_at")), default=None)
    return SourceResult(
        rows,
        {"period_label": period.label, "period_code": period.code},
        sample=any(bool(r.get("is_sample")) for r in rows),
        as_of=latest.isoformat() if latest else None,
    )


# --- key tasks (return 5) and industry centres (return 7): marts built by the task-intake work ---------

TASK_COLUMNS = (
    "plan_code",
    "plan_title",
    "task_code",
    "task_group_no",
    "task_group",
    "item_no",
    "title",
    "content",
    "deadline",
    "deadline_text",
    "content_status",
    "lead_units",
    "lead_is_inferred",
    "responsible_units",
    "latest_report_period",
    "reported_status",
    "reported_progress",
    "reported_at",
    "is_overdue",
    "days_overdue",
    "is_sample",
    "citation",
)
CENTRE_COLUMNS = (
    "centre_code",
    "centre_name",
    "applicant_name",
    "industry",
    "region_code",
    "region_name",
    "designated_on",
    "status",
    "summaries_expected",
    "summaries_received",
    "latest_summary_year",
    "next_review_due",
    "review_status",
    "is_sample",
    "citation",
)


def _select_columns(
    con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...], where: str, order: str, params: list[Any]
) -> list[Row]:
    _require(con, table)
    schema, name = table.split(".")
    present = {
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? and table_catalog = current_database()",
            [schema, name],
        ).fetchall()
    }
    missing = [c for c in columns if c not in present]
    if missing:
        raise ReturnDataMissing(f"{table} 缺少字段：{'、'.join(missing)}（请重新构建仓库）。")
    select = ", ".join(columns)
    return _dicts(con.execute(f"select {select} from {table} where {where} order by {order}", params))


def task_progress(con: duckdb.DuckDBPyConnection, period: Period, params: dict[str, Any]) -> SourceResult:
    plans = [str(p) for p in params.get("plans", [])]
    rows = _select_columns(
        con,
        "marts.fct_task_progress",
        TASK_COLUMNS,
        "list_contains(?, plan_code)",
        "list_position(?, plan_code), task_group_no, item_no, task_code",
        [plans, plans],
    )
    for row in rows:
        row["task_label"] = " ".join(p for p in (row["title"], row["content"]) if p) or row["task_code"]
        if row["lead_units"] and row["lead_is_inferred"]:
            row["lead_units"] = f"{row['lead_units']}（推断）"
        row["_subjects"] = {row["task_code"], row["plan_code"]}
        # The reported status and text are the lead unit's own words: traced to its task report.
        row["_trace"] = (
            [TraceKey("task", row["task_code"], None, str(row["latest_report_period"]), "报告进展状态、进展情况")]
            if row.get("latest_report_period")
            else []
        )
        row["_group"] = row["plan_title"]
    latest = max((r["reported_at"] for r in rows if r.get("reported_at")), default=None)
    titles = [str(_plan_context(con, code)["plan_title"]) for code in plans]
    context = {
        "period_label": period.label,
        "period_code": period.code,
        "plan_titles": "、".join(f"《{t}》" for t in titles) or "各方案",
        "task_form": _task_form_names(con),
    }
    notes = []
    if any(r["lead_is_inferred"] for r in rows):
        notes.append("丁栏注“（推断）”的牵头单位为推断：方案只列责任单位，取其列第一的单位为牵头单位。")
    damaged = [r["task_code"] for r in rows if r["content_status"] == "damaged_in_seed"]
    if damaged:
        notes.append(
            f"{len(damaged)}项任务取自方案第二张任务分解表的残存部分（网页损坏）：只余措施文字，"
            "牵头单位、责任单位与完成时限均已缺失。"
        )
    return SourceResult(
        rows,
        context,
        None,
        any(bool(r["is_sample"]) for r in rows),
        as_of=latest.isoformat() if latest else None,
        notes=notes,
    )


def _task_form_names(con: duckdb.DuckDBPyConnection) -> str:
    """The task-report forms as a clerk knows them: 榕知统16表《重点任务推进情况季报》."""
    _require(con, "catalogue.task_forms")
    sql = "select table_no || '《' || form_name || '》' from catalogue.task_forms order by table_no"
    found = con.execute(sql).fetchall()
    return "、".join(str(name) for (name,) in found) or "《重点任务推进情况季报》"


def industry_centres(con: duckdb.DuckDBPyConnection, period: Period, params: dict[str, Any]) -> SourceResult:
    rows = _select_columns(con, "marts.fct_industry_centres", CENTRE_COLUMNS, "true", "centre_code", [])
    for row in rows:
        row["_subjects"] = {row["centre_code"]}
        row["_trace"] = []
    plan = _plan_context(con, str(params["plan"])) if params.get("plan") else {}
    context = {
        "period_label": period.label,
        "period_code": period.code,
        **{k: str(v) for k, v in plan.items() if v is not None},
    }
    return SourceResult(rows, context, plan.get("issuer"), any(bool(r["is_sample"]) for r in rows))


SOURCES: dict[str, Source] = {
    "plan_targets": plan_targets,
    "submission_status": submission_status,
    "task_progress": task_progress,
    "industry_centres": industry_centres,
}
