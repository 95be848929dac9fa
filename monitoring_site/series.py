"""The target page's data: the actual series against the target path and the projection, the county
breakdown with 同比, the formula in words and the sources behind the latest figure.

Values come from `fct_indicator_values` / `fct_element_values` and are only converted to the target's
unit (by the catalogue's `units.to_base_factor`); the target path is drawn from the target's own
baseline, target value and dates. `downloads` receives every row shown, for the CSV and .xlsx.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from monitoring_site.data import SiteData, presentable
from monitoring_site.formatting import MISSING, flag, is_missing, number, plain, signed_percent

PERIOD_TYPES = (("year", "年度"), ("quarter", "季度"), ("month", "月度"))
MAX_POINTS = {"year": 40, "quarter": 16, "month": 24}


def unit_ratio(data: SiteData, from_unit: Any, to_unit: Any) -> float:
    """Multiply a value in `from_unit` by this to express it in `to_unit` (1 when not convertible)."""
    if is_missing(from_unit) or is_missing(to_unit) or from_unit == to_unit:
        return 1.0
    source, target = data.unit_factor(from_unit), data.unit_factor(to_unit)
    return source / target if source and target else 1.0


def _year(value: Any) -> int | None:
    return None if is_missing(value) else pd.Timestamp(value).year


def target_path(target: pd.Series, years: list[int]) -> dict[int, float]:
    """The value the target asks for in each year: a straight line, a growth curve or a floor."""
    kind, goal = target.get("target_kind"), target.get("target_value")
    if is_missing(goal) or target.get("target_value_status") == "unknown":
        return {}
    goal = float(goal)
    base, base_year = target.get("baseline_value"), _year(target.get("baseline_date"))
    end_year = _year(target.get("target_date"))
    start_year = _year(target.get("period_start"))
    if kind in ("level_by_date", "count_by_date") and not is_missing(base) and base_year and end_year:
        span = max(end_year - base_year, 1)
        return {
            y: float(base) + (goal - float(base)) * (y - base_year) / span for y in years if base_year <= y <= end_year
        }
    if kind == "cagr_min" and not is_missing(base) and base_year and end_year:
        return {y: float(base) * (1 + goal / 100) ** (y - base_year) for y in years if base_year <= y <= end_year}
    if kind in ("annual_min", "annual_average_min", "share_min") and start_year and end_year:
        return {y: goal for y in years if start_year <= y <= end_year}
    if kind == "cumulative_min" and start_year and end_year:
        span = end_year - start_year + 1
        return {y: goal * (y - start_year + 1) / span for y in years if start_year <= y <= end_year}
    return {}


def indicator_rows(data: SiteData, indicator: Any, region: Any, period_type: str) -> pd.DataFrame:
    rows = data.indicator_series.get((indicator, str(region)))
    if rows is None:
        return data.marts["fct_indicator_values"].iloc[0:0]
    return rows[rows["period_type"] == period_type]


def _chart(chart_id: str, title: str, kind: str, categories: list[str], series: list[dict], unit: str, decimals: int):
    spec = {"type": kind, "categories": categories, "series": series, "unit": unit, "decimals": decimals}
    return {"id": chart_id, "title": title, "spec": spec}


def series_blocks(data: SiteData, target: pd.Series, view: dict, downloads: list[dict]) -> tuple[list, list]:
    """One chart + table per period type the indicator has; the yearly one carries path and projection."""
    blocks, charts = [], []
    ratio = None
    decimals, unit = view["level_decimals"], view["level_unit"]
    cumulative = target.get("target_kind") == "cumulative_min"
    for period_type, label in PERIOD_TYPES:
        rows = indicator_rows(data, target.get("indicator_code"), target.get("region_code"), period_type)
        rows = presentable(rows).tail(MAX_POINTS[period_type])
        if rows.empty and period_type != "year":
            continue
        if ratio is None:
            first_unit = rows["unit_code"].iloc[0] if len(rows) else view["level_unit_code"]
            ratio = unit_ratio(data, first_unit, view["level_unit_code"])
        actual = {str(r.period_label): float(r.value) * ratio for r in rows.itertuples()}
        header = ["报告期", f"实际值（{unit}）", "同比"]
        table_rows = [
            [str(r.period_label), number(float(r.value) * ratio, decimals), signed_percent(r.yoy_pct)]
            for r in rows.itertuples()
        ]
        series = [{"name": "实际值", "data": [plain(v) for v in actual.values()], "color": "#0b4a8b"}]
        categories = list(actual)
        for r in rows.itertuples():
            downloads.append(
                {
                    "数据": f"{label}实际值",
                    "报告期": r.period_label,
                    "地区": r.region_name,
                    "值": plain(float(r.value) * ratio),
                    "单位": unit,
                    "同比（%）": plain(r.yoy_pct),
                }
            )
        if period_type == "year":
            categories, series, header, table_rows = _yearly(target, rows, ratio, view, cumulative, downloads)
        title = f"{label}走势" + ("（实际、目标路径与预计）" if period_type == "year" else "")
        chart = _chart(f"chart-{period_type}", title, "line", categories, series, unit, decimals)
        charts.append(chart)
        numeric = set(range(1, len(header)))
        blocks.append(
            {"title": title, "chart": chart, "table": {"header": header, "rows": table_rows, "numeric": numeric}}
        )
    return blocks, charts


def _yearly(target: pd.Series, rows: pd.DataFrame, ratio: float, view: dict, cumulative: bool, downloads: list[dict]):
    decimals, unit = view["level_decimals"], view["level_unit"]
    same_unit = view["level_unit_code"] == target.get("target_unit_code")
    by_year = {int(r.period_year): (float(r.value) * ratio, r.yoy_pct) for r in rows.itertuples()}
    start_year = _year(target.get("period_start"))
    if cumulative and start_year:
        running, total = {}, 0.0
        for year in sorted(by_year):
            if year >= start_year:
                total += by_year[year][0]
                running[year] = total
        actual = running
    else:
        actual = {y: v for y, (v, _yoy) in by_year.items()}
    base_year = _year(target.get("baseline_date"))
    if not cumulative and base_year and not is_missing(target.get("baseline_value")) and base_year not in actual:
        actual[base_year] = float(target["baseline_value"])
    end_year = _year(target.get("target_date"))
    years_known = [y for y in [*actual, base_year, start_year, end_year] if y]
    years = list(range(min(years_known), max(years_known) + 1)) if years_known else []
    # A path in the target's unit is drawn over the values only when they share it; a growth path
    # (cagr_min) starts from the baseline, which is a level of the indicator.
    path = target_path(target, years) if same_unit or target.get("target_kind") == "cagr_min" else {}
    projection: dict[int, float] = {}
    last = _year(target.get("data_end"))
    start = actual.get(last) if last else None
    if start is None and same_unit and not is_missing(target.get("current_value")):
        start = float(target["current_value"])
    if not is_missing(target.get("projected_value")) and start is not None and end_year and last and last < end_year:
        projection = {last: start, end_year: float(target["projected_value"])}
    actual_name = "累计实际值" if cumulative else "实际值"
    series = [{"name": actual_name, "data": [plain(actual.get(y)) for y in years], "color": "#0b4a8b"}]
    if path:
        series.append(
            {
                "name": "目标路径",
                "data": [plain(path.get(y)) for y in years],
                "style": "dashed",
                "color": "#2f8f4f",
                "connect": True,
            }
        )
    if projection:
        series.append(
            {
                "name": "按现有增速预计",
                "data": [plain(projection.get(y)) for y in years],
                "style": "dotted",
                "color": "#c2410c",
                "connect": True,
            }
        )
    header = [
        "年份",
        f"{actual_name}（{unit}）",
        "当年同比" if cumulative else "同比",
        f"目标路径（{unit}）",
        f"预计（{unit}）",
    ]
    table_rows = []
    for y in years:
        yoy = by_year.get(y, (None, None))[1]
        table_rows.append(
            [
                f"{y}年",
                number(actual.get(y), decimals),
                signed_percent(yoy),
                number(path.get(y), decimals),
                number(projection.get(y), decimals),
            ]
        )
        if path.get(y) is not None or projection.get(y) is not None:
            downloads.append(
                {
                    "数据": "目标路径与预计",
                    "报告期": f"{y}年",
                    "地区": target.get("region_name"),
                    "目标路径": plain(path.get(y)),
                    "预计": plain(projection.get(y)),
                    "单位": unit,
                }
            )
    return [f"{y}年" for y in years], series, header, table_rows


def county_breakdown(data: SiteData, target: pd.Series, view: dict, downloads: list[dict]) -> tuple[dict, list]:
    """The children of the plan's region in the period of the current value (or the latest year with data)."""
    values = data.indicator_values_by_code.get(target.get("indicator_code"))
    if values is None:
        values = data.marts["fct_indicator_values"].iloc[0:0]
    codes = set(data.children(target.get("region_code"))["region_code"])
    rows = values[values["region_code"].isin(codes)]
    rows = presentable(rows)
    period = target.get("latest_period_code")
    chosen = rows[rows["period_code"] == period] if not is_missing(period) else rows.iloc[0:0]
    if chosen.empty:
        yearly = rows[rows["period_type"] == "year"]
        if not yearly.empty:
            chosen = yearly[yearly["period_end"] == yearly["period_end"].max()]
    empty = {"table": {"header": [], "rows": [], "numeric": set()}, "period_label": "", "chart": None, "partial": None}
    if chosen.empty:
        return empty, []
    ratio = unit_ratio(data, chosen["unit_code"].iloc[0], view["level_unit_code"])
    decimals, unit = view["level_decimals"], view["level_unit"]
    chosen = chosen.sort_values("value", ascending=False)
    label = str(chosen["period_label"].iloc[0])
    table_rows = []
    for rank, r in enumerate(chosen.itertuples(), start=1):
        table_rows.append(
            [
                rank,
                r.region_name,
                number(float(r.value) * ratio, decimals),
                number(None if is_missing(r.yoy_change) else float(r.yoy_change) * ratio, decimals),
                signed_percent(r.yoy_pct),
            ]
        )
        downloads.append(
            {
                "数据": "分地区",
                "报告期": r.period_label,
                "地区": r.region_name,
                "值": plain(float(r.value) * ratio),
                "单位": unit,
                "同比（%）": plain(r.yoy_pct),
                "名次": rank,
            }
        )
    chart = _chart(
        "chart-county",
        f"各县（市、区）{label}",
        "bar",
        [str(r.region_name) for r in chosen.itertuples()],
        [
            {
                "name": f"{label}（{unit}）",
                "data": [plain(float(v) * ratio) for v in chosen["value"]],
                "kind": "bar",
                "color": "#0b4a8b",
            }
        ],
        unit,
        decimals,
    )
    chart["spec"]["horizontal"] = True
    parent = values[
        (values["region_code"] == str(target.get("region_code")))
        & (values["period_code"] == chosen["period_code"].iloc[0])
    ]
    partial = None
    if len(parent) and flag(parent["is_complete"].iloc[0]) is False:
        reason = parent["null_reason"].iloc[0]
        partial = f"{target.get('region_name')}该期数据不完整，不显示合计" + (
            "" if is_missing(reason) else f"：{reason}"
        )
    missing_children = len(codes) - chosen["region_code"].nunique()
    if missing_children > 0:
        note = f"另有 {missing_children} 个下级地区该期没有数值。"
        partial = f"{partial}；{note}" if partial else note
    header = ["名次", "地区", f"{label}（{unit}）", f"同比增减（{unit}）", "同比"]
    table = {"header": header, "rows": table_rows, "numeric": {0, 2, 3, 4}}
    return {"table": table, "period_label": label, "chart": chart, "partial": partial}, [chart]


def formula(data: SiteData, target: pd.Series) -> dict[str, Any]:
    indicators = data.catalogue["indicators"]
    found = indicators[indicators["indicator_code"] == target.get("indicator_code")]
    terms = data.catalogue["indicator_terms"]
    terms = terms[terms["indicator_code"] == target.get("indicator_code")]
    elements = data.catalogue["data_elements"].set_index("element_code")
    roles = {"numerator": "分子", "denominator": "分母"}
    rows, words = [], {"numerator": [], "denominator": []}
    for t in terms.itertuples():
        name = elements["element_name"].get(t.element_code, t.element_code)
        coefficient = "" if is_missing(t.coefficient) or float(t.coefficient) == 1 else f"{plain(t.coefficient)} × "
        words.setdefault(t.term_role, []).append(f"{coefficient}{name}")
        unit = data.unit_name(elements["unit_code"].get(t.element_code)) if t.element_code in elements.index else ""
        rows.append(
            [
                roles.get(t.term_role, t.term_role),
                name,
                t.element_code,
                MISSING if is_missing(t.coefficient) else f"{float(t.coefficient):g}",
                unit,
            ]
        )
    if found.empty:
        return {
            "words": f"目录中没有指标 {target.get('indicator_code')} 的定义。",
            "description": None,
            "terms": {"header": [], "rows": [], "numeric": set()},
        }
    ind = found.iloc[0]
    text = f"{ind['indicator_name']} = Σ（{' + '.join(words['numerator']) or MISSING}）"
    if words["denominator"]:
        text += f" ÷ Σ（{' + '.join(words['denominator'])}）"
    if not is_missing(ind.get("factor")) and float(ind["factor"]) != 1:
        text += f" × {number(ind['factor'], 0)}"
    basis = {"registered": "户籍人口", "resident": "常住人口"}.get(str(ind.get("population_basis")))
    if basis:
        text += f"；人口口径：{basis}"
    text += "。分子、分母分别按地区和时间汇总后再相除，不对比率求平均。"
    header = ["项", "数据元", "代码", "系数", "单位"]
    return {
        "words": text,
        "description": ind.get("description"),
        "terms": {"header": header, "rows": rows, "numeric": {3}},
    }


SOURCE_LABELS = {"reported": "上报值", "children": "下级合计", "records": "专利明细记录", "bulletin": "公报"}


def sources(data: SiteData, target: pd.Series) -> dict[str, Any]:
    terms = data.catalogue["indicator_terms"]
    codes = set(terms.loc[terms["indicator_code"] == target.get("indicator_code"), "element_code"])
    period = target.get("latest_period_code")
    rows = data.element_values_by_region_period.get((str(target.get("region_code")), period))
    rows = data.marts["fct_element_values"].iloc[0:0] if rows is None else rows[rows["element_code"].isin(codes)]
    out = []
    for r in rows.itertuples():
        decimals = data.unit_decimals(r.unit_code)
        used = SOURCE_LABELS.get(str(r.value_source), MISSING if is_missing(r.value_source) else str(r.value_source))
        out.append(
            [
                r.element_name,
                used,
                number(r.value, decimals),
                number(r.reported_value, decimals),
                number(r.children_sum, decimals),
                number(r.records_value, decimals),
                number(r.bulletin_value, decimals),
                r.unit_name,
                "是" if flag(r.is_complete) else f"否：{r.incomplete_reason or MISSING}",
            ]
        )
    header = ["数据元", "采用", "采用值", "上报值", "下级合计", "明细记录", "公报", "单位", "完整"]
    return {
        "table": {"header": header, "rows": out, "numeric": {2, 3, 4, 5, 6}},
        "period_label": MISSING if is_missing(period) else str(period),
        "region_name": target.get("region_name"),
    }


def notes(data: SiteData, target: pd.Series, view: dict) -> list[str]:
    found = []
    dims = data.marts["dim_plan_targets"]
    dim = dims[dims["target_code"] == target["target_code"]]
    if len(dim):
        d = dim.iloc[0]
        if not is_missing(d.get("note")):
            found.append(str(d["note"]))
        actual = d.get("reported_actual")
        if (
            not is_missing(actual)
            and not is_missing(target.get("current_value"))
            and float(actual) != float(target["current_value"])
        ):
            period = d.get("reported_actual_period") or MISSING
            found.append(
                f"规划文件所载实际值为 {number(actual, view['decimals'])} {view['unit']}（{period}），"
                f"本站所示现值为 {view['current']}。"
            )
        if not is_missing(d.get("reported_verdict")):
            found.append(f"规划文件自身的评价：{d['reported_verdict']}。")
    if target.get("indicator_name_status") == "inferred":
        found.append("该指标名称系根据上下文推断（原表缺失），以正式文件为准。")
    if target.get("target_value_status") == "unknown":
        found.append("规划文件未给出该目标的数值，本站不作推测。")
    return found


def submissions(data: SiteData, target: pd.Series) -> dict[str, Any]:
    """The departmental submissions behind the latest figure: every form carrying the indicator's
    elements, from the plan's region and the regions under it, for the periods inside the latest one."""
    terms = data.catalogue["indicator_terms"]
    elements = set(terms.loc[terms["indicator_code"] == target.get("indicator_code"), "element_code"])
    form_elements = data.catalogue["form_elements"]
    forms = set(form_elements.loc[form_elements["element_code"].isin(elements), "form_code"])
    region = str(target.get("region_code"))
    regions = {region, *data.children(region)["region_code"]}
    latest = indicator_rows(data, target.get("indicator_code"), region, "year")
    period = target.get("latest_period_code")
    for period_type in ("year", "quarter", "month"):
        found = indicator_rows(data, target.get("indicator_code"), region, period_type)
        found = found[found["period_code"] == period]
        if len(found):
            latest = found
            break
    empty = {"header": [], "rows": [], "numeric": set(), "period": MISSING if is_missing(period) else str(period)}
    if latest.empty or latest[latest["period_code"] == period].empty:
        return empty
    start, end = latest["period_start"].iloc[-1], latest["period_end"].iloc[-1]
    completeness = data.marts["fct_submission_completeness"]
    chosen = completeness[
        completeness["form_code"].isin(forms)
        & completeness["region_code"].isin(regions)
        & (pd.to_datetime(completeness["period_end"]) >= pd.Timestamp(start))
        & (pd.to_datetime(completeness["period_end"]) <= pd.Timestamp(end))
        & completeness["is_expected"].fillna(False).astype(bool)
    ]
    rows = []
    for (department, form, table_no), group in chosen.groupby(["department_name", "form_name", "table_no"], sort=True):
        versions = group["latest_version"].dropna()
        rows.append(
            [
                department,
                form,
                table_no,
                len(group),
                int(group["is_received"].fillna(False).astype(bool).sum()),
                int(group["is_late"].fillna(False).astype(bool).sum()),
                int(group["is_missing"].fillna(False).astype(bool).sum()),
                MISSING if versions.empty else int(versions.max()),
            ]
        )
    header = ["报送部门", "报表", "表号", "应报期数", "已报", "迟报", "缺报", "最高版本"]
    return {**empty, "header": header, "rows": rows, "numeric": {3, 4, 5, 6, 7}}
