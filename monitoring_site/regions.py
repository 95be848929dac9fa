"""County (region) pages: every indicator of one region with 同比 and its rank among its siblings."""

from __future__ import annotations

from typing import Any

import pandas as pd

from monitoring_site.data import SiteData, presentable
from monitoring_site.formatting import MISSING, number, signed_percent, slug
from monitoring_site.series import PERIOD_TYPES

LEVEL_LABELS = {"province": "省", "city": "市", "county": "县（市、区）", "subdistrict": "街道（乡镇）"}


def region_codes(data: SiteData) -> list[str]:
    """Regions with at least one indicator value, in catalogue order."""
    values = data.marts["fct_indicator_values"]
    present = set(presentable(values)["region_code"])
    return [c for c in data.catalogue["regions"]["region_code"] if c in present]


def ranked_values(data: SiteData) -> pd.DataFrame:
    """Every indicator value with its rank (1 = highest) among the regions that share its parent."""
    values = data.marts["fct_indicator_values"]
    values = presentable(values)
    parents = data.catalogue["regions"][["region_code", "parent_code"]]
    merged = values.merge(parents, on="region_code", how="left")
    merged["parent_key"] = merged["parent_code"].fillna("（无上级）")
    groups = merged.groupby(["indicator_code", "period_code", "parent_key"])["value"]
    merged["rank"] = groups.rank(ascending=False, method="min")
    merged["peers"] = groups.transform("count")
    return merged


def region_page(data: SiteData, ranked: pd.DataFrame, code: str, linked: set[str], root: str) -> dict[str, Any]:
    regions = data.catalogue["regions"]
    row = regions[regions["region_code"] == code].iloc[0]
    parent_code = None if pd.isna(row.get("parent_code")) else str(row["parent_code"])
    parent = None
    if parent_code:
        parent = {
            "name": data.region_name(parent_code),
            "href": f"{root}regions/{slug(parent_code)}.html" if parent_code in linked else None,
        }
    own = ranked[ranked["region_code"] == code]
    blocks = []
    for period_type, label in PERIOD_TYPES:
        typed = own[own["period_type"] == period_type]
        if typed.empty:
            continue
        current = typed[typed["period_end"] == typed["period_end"].max()].sort_values("indicator_code")
        rows = []
        for r in current.itertuples():
            rank = f"{int(r.rank)} / {int(r.peers)}" if r.peers > 1 else MISSING
            rows.append(
                [
                    r.indicator_name,
                    number(r.value, data.unit_decimals(r.unit_code)),
                    r.unit_name,
                    signed_percent(r.yoy_pct),
                    rank,
                ]
            )
        header = ["指标", "数值", "单位", "同比", "同级排名"]
        blocks.append(
            {
                "title": f"{label}：{current['period_label'].iloc[0]}",
                "table": {"header": header, "rows": rows, "numeric": {1, 3, 4}},
            }
        )
    return {
        "code": code,
        "name": str(row["region_name"]),
        "level": LEVEL_LABELS.get(str(row.get("region_level")), str(row.get("region_level"))),
        "parent": parent,
        "blocks": blocks,
    }
