"""The figures of a period's returns as SDMX-CSV 2.0 (ISO 17369), with the structures they follow.

A package carries two datasets, each with a data structure definition (DSD) generated from the
catalogue (code lists of the dimensions and attributes):
- `data_<period>.sdmx.csv` + `structure.json` (DSD_IP_INDICATORS): one observation per indicator ×
  region from marts.fct_indicator_values, what the returns print;
- `elements_<period>.sdmx.csv` + `structure_elements.json` (DSD_IP_ELEMENTS): one observation per
  data element × region of the reporting region and the regions below it, from
  marts.fct_element_values. This is what a level above running the same product loads
  (`ipwh upstream ingest`): its marts recompute every indicator from these figures with the same
  catalogue formulas, so they equal the indicator dataset to the last digit.
The level above reads the figures without retyping them, and `ipwh returns verify` checks every
row against its structure.

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
ATTRIBUTES = ("UNIT_MEASURE", "UNIT_MULT", "OBS_STATUS", "SOURCE", "SAMPLE_FLAG")
COLUMNS = ("STRUCTURE", "STRUCTURE_ID", "ACTION", *DIMENSIONS, "OBS_VALUE", *ATTRIBUTES)
OBS_STATUS = {"A": "正常值", "P": "初步值（部分来源缺报）", "M": "缺失"}
# SOURCE: where a figure comes from (fct_element_values.value_source); an indicator is computed.
SOURCES = {
    "reported": "本级报送",
    "children": "下级汇总",
    "records": "专利明细计算",
    "bulletin": "通报录入",
    "upstream": "下级机关报送包",
    "computed": "按目录公式由数据元计算",
}

ELEMENT_DSD_ID = "DSD_IP_ELEMENTS"
ELEMENT_STRUCTURE_ID = f"{AGENCY}:{ELEMENT_DSD_ID}({DSD_VERSION})"
ELEMENT_STRUCTURE_FILE = "structure_elements.json"
ELEMENT_DIMENSIONS = ("REF_AREA", "TIME_PERIOD", "DATA_ELEMENT")
ELEMENT_COLUMNS = ("STRUCTURE", "STRUCTURE_ID", "ACTION", *ELEMENT_DIMENSIONS, "OBS_VALUE", *ATTRIBUTES)


class SdmxError(Exception):
    """The SDMX data does not follow its structure; the message (Chinese) says where."""


def data_file(period: Period) -> str:
    return f"data_{period.code}.sdmx.csv"


def element_file(period: Period) -> str:
    return f"elements_{period.code}.sdmx.csv"


def reporting_region(con: duckdb.DuckDBPyConnection, override: str | None = None) -> tuple[str, str]:
    """The region this installation reports for: `override` (IPWH_REGION) when set, else the region
    of the office that issues the catalogue's forms (福州市市场监督管理局（知识产权局） → 350100)."""
    if override:
        found = con.execute(
            "select region_code, region_name from catalogue.regions where region_code = ?", [override]
        ).fetchone()
        if found is None:
            raise SdmxError(f"IPWH_REGION={override} 不在目录的区划表中")
        return found[0], found[1]
    found = con.execute(
        """
        select d.region_code, r.region_name
        from catalogue.forms f
        inner join catalogue.departments d on d.department_name = f.issuing_authority
        inner join catalogue.regions r on r.region_code = d.region_code
        group by all order by count(*) desc, 1 limit 1
        """
    ).fetchone()
    if found is None:
        raise SdmxError("无法从目录判断本系统所属区划：请用 IPWH_REGION 设定，如 IPWH_REGION=350100")
    return found[0], found[1]


def available(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' "
        "and table_name = 'fct_indicator_values' and table_catalog = current_database()"
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
            {"id": "SOURCE", "name": "来源", "codelist": SOURCES},
            {"id": "SAMPLE_FLAG", "name": "示例数据", "codelist": {"0": "正式数据", "1": "示例数据"}},
        ],
        "columns": list(COLUMNS),
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def element_structure(con: duckdb.DuckDBPyConnection) -> bytes:
    """The DSD of the element dataset: DATA_ELEMENT from catalogue.data_elements instead of INDICATOR."""
    doc = json.loads(structure(con))
    elements = con.execute(
        """
        select e.element_code, e.element_name, e.unit_code, u.unit_name, e.aggregation
        from catalogue.data_elements e left join catalogue.units u using (unit_code) order by 1
        """
    ).fetchall()
    doc.update(
        id=ELEMENT_DSD_ID,
        urn=f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={ELEMENT_STRUCTURE_ID}",
        name="知识产权统计数据元",
        columns=list(ELEMENT_COLUMNS),
    )
    doc["dimensions"][2] = {
        "id": "DATA_ELEMENT",
        "name": "数据元",
        "codelist": {c: {"name": n, "unit": u, "unit_name": un, "aggregation": a} for c, n, u, un, a in elements},
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def element_data(con: duckdb.DuckDBPyConnection, period: Period, correction: bool, region: str) -> bytes:
    """Every known data element value of the period for `region` and the regions below it."""
    rows = con.execute(
        """
        select v.region_code, v.element_code, v.value, v.unit_code, u.to_base_factor, v.value_source,
               coalesce(v.is_sample, false)
        from marts.fct_element_values v
        left join catalogue.units u using (unit_code)
        where v.period_code = ? and v.value is not null
          and v.region_code in (
              with recursive below(code) as (
                  select ?::varchar
                  union all
                  select r.region_code from catalogue.regions r inner join below b on r.parent_code = b.code
              )
              select code from below
          )
        order by v.element_code, v.region_code
        """,
        [period.code, region],
    ).fetchall()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ELEMENT_COLUMNS)
    for region_code, element, value, unit, factor, source, sample in rows:
        writer.writerow(
            [
                "datastructure",
                ELEMENT_STRUCTURE_ID,
                "R" if correction else "I",
                region_code,
                sdmx_period(period),
                element,
                number(value),
                unit,
                _multiplier(factor),
                "A",
                source or "reported",
                "1" if sample else "0",
            ]
        )
    return buffer.getvalue().encode("utf-8")


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
                "computed",
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
    return len(observations(data_bytes, structure_bytes))


def observations(data_bytes: bytes, structure_bytes: bytes) -> list[dict[str, str]]:
    """The rows of SDMX-CSV data, each checked against its DSD (column → text); raises SdmxError."""
    try:
        dsd = json.loads(structure_bytes.decode("utf-8"))
        codelists = {d["id"]: set(d["codelist"]) for d in dsd["dimensions"] + dsd["attributes"] if "codelist" in d}
        expected_id = f"{dsd['agency']}:{dsd['id']}({dsd['version']})"
        columns = list(dsd["columns"])
        dimensions = [d["id"] for d in dsd["dimensions"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SdmxError("structure.json 不是有效的数据结构定义") from exc
    if not set(dimensions) | {"STRUCTURE", "STRUCTURE_ID", "ACTION", "OBS_VALUE"} <= set(columns):
        raise SdmxError("数据结构定义的列与其维度不符")
    try:
        lines = list(csv.reader(io.StringIO(data_bytes.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SdmxError("SDMX-CSV 数据不是有效的 UTF-8 CSV") from exc
    if not lines or lines[0] != columns:
        raise SdmxError(f"SDMX-CSV 表头应为 {','.join(columns)}")
    keys: set[tuple[str, ...]] = set()
    rows: list[dict[str, str]] = []
    for line_no, line in enumerate(lines[1:], start=2):
        if len(line) != len(columns):
            raise SdmxError(f"SDMX-CSV 第 {line_no} 行有 {len(line)} 列，应为 {len(columns)} 列")
        row = dict(zip(columns, line, strict=True))
        if row["STRUCTURE"] != "datastructure" or row["STRUCTURE_ID"] != expected_id or row["ACTION"] not in "IARD":
            raise SdmxError(f"SDMX-CSV 第 {line_no} 行的 STRUCTURE/STRUCTURE_ID/ACTION 与数据结构定义不符")
        for column, allowed in codelists.items():
            if column in row and row[column] not in allowed:
                raise SdmxError(f"SDMX-CSV 第 {line_no} 行 {column} 的代码 {row[column]!r} 不在代码表中")
        if row["OBS_VALUE"]:
            try:
                finite = Decimal(row["OBS_VALUE"]).is_finite()
            except ArithmeticError:
                finite = False
            if not finite:
                raise SdmxError(f"SDMX-CSV 第 {line_no} 行 OBS_VALUE {row['OBS_VALUE']!r} 不是数值")
        key = tuple(row[d] for d in dimensions)
        if key in keys:
            raise SdmxError(f"SDMX-CSV 第 {line_no} 行与前面的观测重复：{'/'.join(key)}")
        keys.add(key)
        rows.append(row)
    return rows
