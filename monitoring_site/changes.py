"""'What changed': each build keeps the figures it showed (data/figures.json); the next build compares.

A figure is an indicator × region × period value as shown (rounded to the unit's precision) or a
target's status. Why it changed is read from the submissions: a period whose departmental
versions changed was corrected (new version); a key never seen before is a new period; otherwise
the catalogue or the computation changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from monitoring_site.data import SiteData, presentable
from monitoring_site.formatting import MISSING, number

FILE = Path("data") / "figures.json"


def current_figures(data: SiteData) -> dict[str, Any]:
    values = data.marts["fct_indicator_values"]
    values = presentable(values)
    figures: dict[str, dict[str, str]] = {}
    decimals = {u: data.unit_decimals(u) for u in values["unit_code"].dropna().unique()}
    columns = [
        "indicator_code",
        "region_code",
        "period_code",
        "indicator_name",
        "region_name",
        "period_label",
        "value",
        "unit_code",
        "unit_name",
        "period_year",
    ]
    for ind, region, period, name, region_name, label, value, unit, unit_name, year in zip(
        *(values[c].tolist() for c in columns), strict=True
    ):
        figures[f"{ind}|{region}|{period}"] = {
            "what": f"{name}（{region_name}，{label}）",
            "value": f"{number(value, decimals.get(unit, 0))} {unit_name}",
            "year": str(year),
        }
    for r in data.marts["fct_target_progress"].itertuples():
        figures[f"target|{r.target_code}"] = {
            "what": f"{r.plan_title} 目标 {r.target_no}：{r.indicator_name} 的状态",
            "value": str(r.status),
            "year": "",
        }
    completeness = data.marts["fct_submission_completeness"]
    versions: dict[str, list[str]] = {}
    for r in completeness[completeness["latest_version"].notna()].itertuples():
        year = str(pd.Timestamp(r.period_end).year)
        versions.setdefault(year, []).append(f"{r.form_code}|{r.department_code}|{r.period_code}|{r.latest_version}")
    fingerprints = {y: hashlib.sha256("\n".join(sorted(v)).encode()).hexdigest() for y, v in versions.items()}
    return {"figures": figures, "versions": fingerprints}


def read_previous(site: Path) -> dict[str, Any] | None:
    path = site / FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # an unreadable record only loses the comparison, never the build


def compare(previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    if previous is None:
        return {"header": [], "rows": [], "numeric": set()}
    old, new = previous.get("figures", {}), current["figures"]
    old_versions, new_versions = previous.get("versions", {}), current["versions"]
    old_periods = {k.rsplit("|", 1)[-1] for k in old if not k.startswith("target|")}
    rows = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before and after and before.get("value") == after.get("value"):
            continue
        item = after or before
        if key.startswith("target|"):
            why = "数据变化后按数据集市规则重新判定"
        elif before is None:
            why = "新报告期" if key.rsplit("|", 1)[-1] not in old_periods else "新增数据"
        elif after is None:
            why = "数据不再可用（上报被撤回或目录调整）"
        elif old_versions.get(item.get("year")) != new_versions.get(item.get("year")):
            why = "部门报送了新版本（更正）"
        else:
            why = "计算方法或目录调整"
        rows.append([item["what"], before["value"] if before else MISSING, after["value"] if after else MISSING, why])
    return {"header": ["数字", "上次", "本次", "原因"], "rows": rows, "numeric": {1, 2}}
