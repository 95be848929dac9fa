"""One target as the plan and target pages show it: figures in the unit's precision, pace, projection.

Every value is a column of `marts.fct_target_progress`; this module only words and formats them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from monitoring_site.data import SiteData
from monitoring_site.formatting import MISSING, flag, is_missing, number, percent, slug, status_class

COMPARATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}
BASELINE_SOURCES = {
    "catalogue": "规划文件",
    "data": "仓库数据",
    "records": "专利明细记录",
    "implied": "规划期前一年的仓库数据",
}


def status_badge(status: Any) -> dict[str, str]:
    text = MISSING if is_missing(status) else str(status)
    return {"text": text, "cls": status_class(text)}


def with_unit(value: Any, decimals: int, unit: str) -> str:
    shown = number(value, decimals)
    return shown if shown == MISSING or not unit or (unit == "%" and shown.endswith("%")) else f"{shown} {unit}"


def _date(value: Any) -> str:
    return MISSING if is_missing(value) else str(pd.Timestamp(value).date())


def pace_text(row: pd.Series, decimals: int, unit: str) -> str:
    """What the rest of the window still requires, from required_per_year / required_growth_pct."""
    if row.get("status") == "已完成" or flag(row.get("meets_target_now")):
        return "已达到目标"
    parts = []
    if not is_missing(row.get("required_per_year")):
        per_year = with_unit(row["required_per_year"], decimals, unit)
        if row.get("target_kind") == "annual_average_min":
            parts.append(f"剩余各年平均需达 {per_year}")
        else:
            parts.append(f"每年尚需增加 {per_year}")
    if not is_missing(row.get("required_growth_pct")):
        parts.append(f"年均增长需达 {percent(row['required_growth_pct'])}")
    if not parts and flag(row.get("is_final")):
        return "规划期已结束"
    return "；".join(parts) or MISSING


def projection_text(row: pd.Series, decimals: int, unit: str) -> str:
    """projected_value is a level of the indicator (for cagr_min too), so it is shown in the level's unit."""
    if is_missing(row.get("projected_value")):
        return MISSING
    text = f"{_date(row.get('target_date'))} 约 {with_unit(row['projected_value'], decimals, unit)}"
    meets = flag(row.get("projected_meets_target"))
    if meets is not None:
        text += "，能达到目标" if meets else "，达不到目标"
    return text


def target_view(data: SiteData, row: pd.Series, root: str) -> dict[str, Any]:
    unit_code = row.get("target_unit_code")
    decimals = data.unit_decimals(unit_code)
    unit = "" if is_missing(row.get("target_unit_name")) else str(row["target_unit_name"])
    target_known = row.get("target_value_status") != "unknown" and not is_missing(row.get("target_value"))
    comparator = (
        "" if is_missing(row.get("comparator")) else COMPARATORS.get(str(row["comparator"]), str(row["comparator"]))
    )
    verdict = row.get("final_verdict")
    source = row.get("current_value_source")
    level_code = data.level_unit(row.get("indicator_code"), unit_code)
    level_decimals = data.unit_decimals(level_code) if level_code != unit_code else decimals
    level_unit = data.unit_name(level_code) if level_code != unit_code else unit
    return {
        "code": row["target_code"],
        "href": f"{root}targets/{slug(row['target_code'])}.html",
        "no": MISSING if is_missing(row.get("target_no")) else str(row["target_no"]),
        "indicator_name": row.get("indicator_name")
        if not is_missing(row.get("indicator_name"))
        else row["target_code"],
        "text": row.get("target_text") or "",
        "citation": row.get("citation") or MISSING,
        "kind_name": row.get("target_kind_name") or row.get("target_kind") or "",
        "current": with_unit(row.get("current_value"), decimals, unit),
        "current_period": "" if is_missing(row.get("latest_period_code")) else str(row["latest_period_code"]),
        "current_source": {"data": "仓库数据", "catalogue": "规划文件所载实际值"}.get(
            str(source), str(source or MISSING)
        ),
        "data_end": _date(row.get("data_end")),
        "target": (f"{comparator} " if comparator else "") + with_unit(row.get("target_value"), decimals, unit)
        if target_known
        else "规划未给出（未知）",
        "target_date": _date(row.get("target_date")),
        "baseline": with_unit(row.get("baseline_value"), level_decimals, level_unit),
        "baseline_date": _date(row.get("baseline_date")),
        "baseline_source": BASELINE_SOURCES.get(str(row.get("baseline_source")), row.get("baseline_source")),
        "completion": percent(row.get("completion_pct")),
        "elapsed": percent(row.get("time_elapsed_pct")),
        "status": status_badge(row.get("status")),
        "status_note": None if is_missing(row.get("status_note")) else row["status_note"],
        "verdict": None if is_missing(verdict) else str(verdict),
        "pace": pace_text(row, decimals, unit),
        "projection": projection_text(row, level_decimals, level_unit),
        "decimals": decimals,
        "unit": unit,
        "level_unit_code": level_code,  # the indicator's values on the page: the target's unit or the indicator's
        "level_decimals": level_decimals,
        "level_unit": level_unit,
    }
