"""What the site reads from the analysts' snapshot: the marts, the catalogue and the quality results.

Everything is read once into DataFrames (the snapshot is small); pages select from them. Figures and
statuses come from the marts as they are: the site never recomputes a status or a total.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import duckdb
import pandas as pd

MART_TABLES = (
    "fct_target_progress",
    "dim_plan_targets",
    "fct_indicator_values",
    "fct_element_values",
    "fct_submission_completeness",
)
CATALOGUE_TABLES = (
    "plans",
    "units",
    "regions",
    "indicators",
    "indicator_terms",
    "data_elements",
    "departments",
    "form_elements",
)
QUALITY_TABLES = ("check_runs", "check_results", "explanations")


class SiteDataError(Exception):
    """The snapshot lacks what the site needs (message in Chinese, for the user)."""


@dataclass
class SiteData:
    marts: dict[str, pd.DataFrame]
    catalogue: dict[str, pd.DataFrame]
    quality: dict[str, pd.DataFrame] | None  # None: the snapshot carries no check results
    published_at: Any
    is_sample: bool

    @cached_property
    def indicator_series(self) -> dict[tuple[str, str], pd.DataFrame]:
        """fct_indicator_values by (indicator, region), each in period order: pages select from these."""
        values = self.marts["fct_indicator_values"].sort_values("period_end")
        return {key: frame for key, frame in values.groupby(["indicator_code", "region_code"], sort=False)}

    @cached_property
    def indicator_values_by_code(self) -> dict[str, pd.DataFrame]:
        values = self.marts["fct_indicator_values"]
        return {key: frame for key, frame in values.groupby("indicator_code", sort=False)}

    @cached_property
    def element_values_by_region_period(self) -> dict[tuple[str, str], pd.DataFrame]:
        values = self.marts["fct_element_values"]
        return {key: frame for key, frame in values.groupby(["region_code", "period_code"], sort=False)}

    @cached_property
    def _units(self) -> dict[str, dict[str, Any]]:
        return {str(u["unit_code"]): u for u in self.catalogue["units"].to_dict("records")}

    @cached_property
    def _region_names(self) -> dict[str, str]:
        regions = self.catalogue["regions"]
        return dict(zip(regions["region_code"], regions["region_name"].astype(str), strict=True))

    def unit_decimals(self, unit_code: Any) -> int:
        decimals = self._units.get(str(unit_code), {}).get("decimals")
        return 0 if decimals is None or pd.isna(decimals) else int(decimals)

    def unit_factor(self, unit_code: Any) -> float | None:
        factor = self._units.get(str(unit_code), {}).get("to_base_factor")
        return None if factor is None or pd.isna(factor) else float(factor)

    def unit_name(self, unit_code: Any) -> str:
        return str(self._units.get(str(unit_code), {}).get("unit_name") or "")

    def unit_dimension(self, unit_code: Any) -> str:
        return str(self._units.get(str(unit_code), {}).get("dimension") or "")

    def indicator_unit(self, indicator_code: Any) -> str | None:
        indicators = self.catalogue["indicators"]
        found = indicators.loc[indicators["indicator_code"] == indicator_code, "unit_code"]
        return None if found.empty or pd.isna(found.iloc[0]) else str(found.iloc[0])

    def level_unit(self, indicator_code: Any, target_unit: Any) -> str | None:
        """The unit the indicator's own values are shown in on a target's page: the target's unit when it
        measures the same thing (件 and 万件), else the indicator's (a growth target in % over counts in 件)."""
        own = self.indicator_unit(indicator_code)
        if own is None or is_missing_code(target_unit):
            return own or (None if is_missing_code(target_unit) else str(target_unit))
        return str(target_unit) if self.unit_dimension(own) == self.unit_dimension(target_unit) else own

    def region_name(self, region_code: Any) -> str:
        return self._region_names.get(str(region_code), str(region_code))

    def children(self, region_code: Any) -> pd.DataFrame:
        regions = self.catalogue["regions"]
        return regions[regions["parent_code"] == str(region_code)]


def is_missing_code(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def presentable(values: pd.DataFrame) -> pd.DataFrame:
    """Values the site may show: present and not flagged incomplete by the marts (a partial sum is no total)."""
    complete = values["is_complete"].fillna(True).astype(bool) if "is_complete" in values else True
    return values[values["value"].notna() & complete]


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_catalog = current_database()",
        [schema],
    ).fetchall()
    return {r[0] for r in rows}


def _read(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pd.DataFrame:
    # Names come from the constants above, never from data.
    return con.execute(f'select * from "{schema}"."{table}"').df()


def _codes_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    # Region codes are identifiers: compared as text everywhere (a seed may load them as integers).
    for column in ("region_code", "parent_code"):
        if column in frame:
            frame[column] = frame[column].map(lambda v: None if pd.isna(v) else str(v)).astype(object)
    return frame


def load(con: duckdb.DuckDBPyConnection) -> SiteData:
    marts_present = _tables(con, "marts")
    missing = [t for t in MART_TABLES if t not in marts_present]
    if missing:
        raise SiteDataError(f"分析快照中缺少数据集市 {', '.join(missing)}：请先完成一次构建（ipwh run）。")
    catalogue_present = _tables(con, "catalogue")
    missing = [t for t in CATALOGUE_TABLES if t not in catalogue_present]
    if missing:
        raise SiteDataError(f"分析快照中缺少目录表 {', '.join(missing)}：请先完成一次构建（ipwh run）。")
    marts = {t: _codes_as_text(_read(con, "marts", t)) for t in MART_TABLES}
    catalogue = {t: _codes_as_text(_read(con, "catalogue", t)) for t in CATALOGUE_TABLES}
    quality_present = _tables(con, "quality")
    quality = (
        {t: _read(con, "quality", t) for t in QUALITY_TABLES}
        if all(t in quality_present for t in QUALITY_TABLES)
        else None
    )
    published_at = None
    if "snapshot" in _tables(con, "meta"):
        row = con.execute("select max(published_at) from meta.snapshot").fetchone()
        published_at = row[0] if row else None
    progress = marts["fct_target_progress"]
    is_sample = bool("is_sample" in progress and progress["is_sample"].fillna(False).any())
    return SiteData(marts, catalogue, quality, published_at, is_sample)
