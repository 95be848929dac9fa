"""The figures of a period's returns as SDMX-CSV 2.0 (ISO 17369), with the structure they follow.

A package carries `data_<period>.sdmx.csv` (one observation per indicator × region from
marts.fct_indicator_values) and `structure.json`, a data structure definition (DSD) generated from
the catalogue: the code lists of the dimensions (REF_AREA from catalogue.regions, INDICATOR from
catalogue.indicators), TIME_PERIOD, and the attributes. The level above reads the figures without
retyping them, and `ipwh returns verify` checks every row against the structure.

Columns (SDMX-CSV 2.0): STRUCTURE, STRUCTURE_ID, ACTION, the dimensions, OBS_VALUE, the attributes.
ACTION is I (information) for a first version and R (replace) for a correction, so a receiver
replaces the earlier figures; OBS_STATUS is A (normal), P (provisional: some inputs missing) or
M (missing value), from SDMX's cross-domain code list CL_OBS_STATUS.
"""

from __future__ import annotations

import csv
import io
import json
import math
from decimal import Decimal
from typing import Any

import duckdb

from sources.periods import Period

AGENCY = "IPWH"
DSD_ID = "DSD_IP_INDICATORS"
DSD_VERSION = "1.0"
STRUCTURE_ID = f"{AGENCY}:{DSD_ID}({DSD_VERSION})"
STRUCTURE_FILE = "structure.json"
DIMENSIONS = ("REF_AREA", "TIME_PERIOD", "INDICATOR")
ATTRIBUTES = ("UNIT_MEASURE", "UNIT_MULT", "OBS_STATUS", "SAMPLE_FLAG")
COLUMNS = ("STRUCTURE", "STRUCTURE_ID", "ACTION", *DIMENSIONS, "OBS_VALUE", *ATTRIBUTES)
OBS_STATUS = {"A": "正常值", "P": "初步值（部分来源缺报）", "M": "缺失"}


class SdmxError(Exception):
    """The SDMX data does not follow its structure; the message (Chinese) says where."""


def data_file(period: Period) -> str:
    return f"data_{period.code}.sdmx.csv"


def available(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' "
        "and table_name = 'fct_indicator_values'"
    ).fetchone()
    return bool(found and found[0])


def structure(con: duckdb.DuckDBPyConnection) -> bytes:
    """The DSD, from the catalogue: dimensions with their code lists, attributes, the measure."""
    regions = con.execute("select region_code, region_name from catalogue.regions order by 1").fetchall()
    indicators = con.execute(
        """
        select i.indicator_code, i.indicator_name, i.unit_code, u.unit_name
        from catalogue.indicators i left join catalogue.units u using (unit_code) order by 1
        """
    ).fetchall()
    units = con.execute("select unit_code, unit_name from catalogue.units order by 1").fetchall()
    doc = {
        "format": "SDMX-CSV 2.0 data structure (ipwh)",
        "id": DSD_ID,
        "agency": AGENCY,
        "version": DSD_VERSION,
        "urn": f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={STRUCTURE_ID}",
        "name": "知识产权规划监测指标",
        "dimensions": [
            {"id": "REF_AREA", "name": "地区（GB/T 2260）", "codelist": {c: n for c, n in regions}},
            {"id": "TIME_PERIOD", "name": "报告期", "format": "YYYY | YYYY-Qn | YYYY-MM (ISO 8601)"},
            {
                "id": "INDICATOR",
                "name": "指标",
                "codelist": {c: {"name": n, "unit": u, "unit_name": un} for c, n, u, un in indicators},
            },
        ],
        "measure": {"id": "OBS_VALUE", "type": "decimal"},
        "attributes": [
            {"id": "UNIT_MEASURE", "name": "计量单位", "codelist": {c: n for c, n in units}},
            {"id": "UNIT_MULT", "name": "单位倍数（10 的幂）", "type": "integer"},
            {"id": "OBS_STATUS", "name": "观测状态", "codelist": OBS_STATUS},
            {"id": "SAMPLE_FLAG", "name": "示例数据", "codelist": {"0": "正式数据", "1": "示例数据"}},
        ],
        "columns": list(COLUMNS),
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def data(con: duckdb.DuckDBPyConnection, period: Period, correction: bool) -> bytes:
    """Every indicator value of the period, one SDMX-CSV row each (UTF-8, comma, header row)."""
    rows = con.execute(
        """
        select v.region_code, v.indicator_code, v.value, v.unit_code, u.to_base_factor,
               coalesce(v.is_complete, false), coalesce(v.is_sample, false)
        from marts.fct_indicator_values v left join catalogue.units u using (unit_code)
        where v.period_code = ?
        order by v.indicator_code, v.region_code
        """,
        [period.code],
    ).fetchall()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for region, indicator, value, unit, factor, complete, sample in rows:
        status = "M" if value is None else ("A" if complete else "P")
        writer.writerow(
            [
                "datastructure",
                STRUCTURE_ID,
                "R" if correction else "I",
                region,
                sdmx_period(period),
                indicator,
                "" if value is None else number(value),
                unit,
                _multiplier(factor),
                status,
                "1" if sample else "0",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def sdmx_period(period: Period) -> str:
    """SDMX's reporting-period form: 2025, 2026-Q3, 2026-10."""
    return period.code.replace("Q", "-Q") if "Q" in period.code else period.code


def number(value: Any) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return text if text != "-0" else "0"


def _multiplier(factor: Any) -> str:
    if factor is None or Decimal(str(factor)) <= 0:
        return "0"
    exponent = math.log10(float(factor))
    return str(round(exponent)) if abs(exponent - round(exponent)) < 1e-9 else "0"


def check(data_bytes: bytes, structure_bytes: bytes) -> int:
    """Check SDMX-CSV data against its DSD; returns the number of observations or raises SdmxError."""
    try:
        dsd = json.loads(structure_bytes.decode("utf-8"))
        codelists = {d["id"]: set(d["codelist"]) for d in dsd["dimensions"] + dsd["attributes"] if "codelist" in d}
        expected_id = f"{dsd['agency']}:{dsd['id']}({dsd['version']})"
        columns = list(dsd["columns"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SdmxError("structure.json 不是有效的数据结构定义") from exc
    try:
        lines = list(csv.reader(io.StringIO(data_bytes.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SdmxError("SDMX-CSV 数据不是有效的 UTF-8 CSV") from exc
    if not lines or lines[0] != columns:
        raise SdmxError(f"SDMX-CSV 表头应为 {','.join(columns)}")
    keys: set[tuple[str, ...]] = set()
    for number, line in enumerate(lines[1:], start=2):
        if len(line) != len(columns):
            raise SdmxError(f"SDMX-CSV 第 {number} 行有 {len(line)} 列，应为 {len(columns)} 列")
        row = dict(zip(columns, line, strict=True))
        if row["STRUCTURE"] != "datastructure" or row["STRUCTURE_ID"] != expected_id or row["ACTION"] not in "IARD":
            raise SdmxError(f"SDMX-CSV 第 {number} 行的 STRUCTURE/STRUCTURE_ID/ACTION 与数据结构定义不符")
        for column, allowed in codelists.items():
            if column in row and row[column] not in allowed:
                raise SdmxError(f"SDMX-CSV 第 {number} 行 {column} 的代码 {row[column]!r} 不在代码表中")
        if row["OBS_VALUE"]:
            try:
                finite = Decimal(row["OBS_VALUE"]).is_finite()
            except ArithmeticError:
                finite = False
            if not finite:
                raise SdmxError(f"SDMX-CSV 第 {number} 行 OBS_VALUE {row['OBS_VALUE']!r} 不是数值")
        key = tuple(row[d] for d in DIMENSIONS)
        if key in keys:
            raise SdmxError(f"SDMX-CSV 第 {number} 行与前面的观测重复：{'/'.join(key)}")
        keys.add(key)
    return len(lines) - 1
