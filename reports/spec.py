"""Return definitions: data in `reports/definitions/*.yaml`, read and checked here.

A definition names its row source (a registered query on one mart), the plan or other parameters,
the columns (header, code-row label, kind, width), the period types it exists for and its notes.
Headers, titles and notes may use `{placeholders}` filled from the source's context (plan title,
baseline year, region …), so no indicator, unit or department is written into Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sources.periods import PERIOD_TYPES

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
CONVENTIONS_FILE = Path(__file__).resolve().parent / "conventions.yaml"

# What a column shows and how it is formatted:
#   text   a string as it stands                     value  a number in the row's own unit (decimals per unit)
#   pct    a percentage (decimals of the % unit)     count  a whole number
#   date   a calendar date                           flag   true/false as 是/否 (red when it equals alert_on)
#   year   a year, printed without a thousands separator (2025, not 2,025)
COLUMN_KINDS = ("text", "value", "pct", "count", "date", "flag", "year")
FLAG_TEXTS = ("是", "否")
MAX_SHEET_NAME = 31


class DefinitionError(ValueError):
    """A return definition that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    code: str
    kind: str = "text"
    width: float = 12.0
    trace: bool = False  # the figure is traced to submissions on the 数据来源 sheet
    alert_on: str | None = None  # flag columns: the answer that needs attention (是 for 是否逾期, 否 for 评价一致)


@dataclass(frozen=True)
class ReturnDefinition:
    code: str
    title: str
    table_no: str
    sheet_name: str
    source: str
    mart: str
    params: dict[str, Any]
    period_types: tuple[str, ...]
    columns: tuple[Column, ...]
    notes: tuple[str, ...]
    reporting_unit: str  # department code of the 填报单位
    unit_line: str = "计量单位：见丙栏"
    approval_no: str | None = None
    valid_until: str | None = None
    chart: bool = False
    group_column: str | None = None  # rows are grouped under a heading row by this key
    row_key: str = "row_no"  # a stable key per row (e.g. target_code): what change lists compare
    row_label: str = "row_no"  # how a row is named on the 数据来源 and 更正说明 sheets
    trace_intro: str | None = None  # what the 数据来源 sheet traces, when not the departments' figures
    trace_empty: str | None = None  # what the 数据来源 sheet says when nothing is traced
    path: Path = field(default=Path("."), compare=False)

    def exists_for(self, period_type: str) -> bool:
        return period_type in self.period_types

    @property
    def traced_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.trace)


def load_definitions(folder: Path = DEFINITIONS_DIR) -> dict[str, ReturnDefinition]:
    """Every definition in `folder`, by code, in file-name order."""
    out: dict[str, ReturnDefinition] = {}
    for path in sorted(folder.glob("*.yaml")):
        definition = _parse(path)
        if definition.code in out:
            raise DefinitionError(f"{path.name}：报表编码 {definition.code} 重复")
        out[definition.code] = definition
    if not out:
        raise DefinitionError(f"{folder} 中没有报表定义（*.yaml）")
    return out


def display_title(definition: ReturnDefinition, plans: dict[str, dict[str, str]]) -> str:
    """The title as a list shows it, without a warehouse: `{plan_…}` placeholders from the catalogue's
    plans row (params.plan, or the first of params.plans); anything else stays visible, never guessed."""
    code = definition.params.get("plan") or next(iter(definition.params.get("plans") or []), None)
    plan = plans.get(str(code), {}) if code else {}
    return re.sub(r"\{([a-z_]+)\}", lambda m: str(plan.get(m.group(1)) or m.group(0)), definition.title)


def load_conventions(path: Path = CONVENTIONS_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _parse(path: Path) -> ReturnDefinition:
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    if not isinstance(raw, dict):
        raise DefinitionError(f"{path.name}：应为键值映射")

    def need(key: str) -> Any:
        if raw.get(key) in (None, ""):
            raise DefinitionError(f"{path.name}：缺少 {key}")
        return raw[key]

    period_types = tuple(need("period_types"))
    unknown = [p for p in period_types if p not in PERIOD_TYPES]
    if unknown:
        raise DefinitionError(f"{path.name}：未知的报告期类型 {unknown}（可用 {PERIOD_TYPES}）")
    columns = tuple(_column(path, c) for c in need("columns"))
    codes = [c.code for c in columns]
    if len(set(codes)) != len(codes):
        raise DefinitionError(f"{path.name}：栏次代码重复 {codes}")
    sheet_name = str(raw.get("sheet_name") or need("code"))
    if len(sheet_name) > MAX_SHEET_NAME or any(ch in sheet_name for ch in "[]:*?/\\"):
        raise DefinitionError(f"{path.name}：工作表名 {sheet_name!r} 超过 31 个字符或含不允许的字符")
    group = raw.get("group_column")
    return ReturnDefinition(
        code=str(need("code")),
        title=str(need("title")),
        table_no=str(need("table_no")),
        sheet_name=sheet_name,
        source=str(need("source")),
        mart=str(need("mart")),
        params=dict(raw.get("params") or {}),
        period_types=period_types,
        columns=columns,
        notes=tuple(str(n) for n in raw.get("notes") or ()),
        reporting_unit=str(need("reporting_unit")),
        unit_line=str(raw.get("unit_line") or "计量单位：见丙栏"),
        approval_no=raw.get("approval_no") or None,
        valid_until=raw.get("valid_until") or None,
        chart=bool(raw.get("chart", False)),
        group_column=str(group) if group else None,
        row_key=str(need("row_key")),
        row_label=str(raw.get("row_label") or need("row_key")),
        trace_intro=str(raw["trace_intro"]) if raw.get("trace_intro") else None,
        trace_empty=str(raw["trace_empty"]) if raw.get("trace_empty") else None,
        path=path,
    )


def _column(path: Path, raw: Any) -> Column:
    if not isinstance(raw, dict) or not raw.get("key") or not raw.get("header") or not raw.get("code"):
        raise DefinitionError(f"{path.name}：每一栏需要 key、header 和 code：{raw!r}")
    kind = str(raw.get("kind", "text"))
    if kind not in COLUMN_KINDS:
        raise DefinitionError(f"{path.name}：栏 {raw['key']} 的类型 {kind!r} 未知（可用 {COLUMN_KINDS}）")
    alert_on = raw.get("alert_on")
    if alert_on is not None and (kind != "flag" or str(alert_on) not in FLAG_TEXTS):
        raise DefinitionError(f"{path.name}：栏 {raw['key']} 的 alert_on 只用于 flag 栏，取值为 是 或 否")
    return Column(
        key=str(raw["key"]),
        header=str(raw["header"]),
        code=str(raw["code"]),
        kind=kind,
        width=float(raw.get("width", 12)),
        trace=bool(raw.get("trace", False)),
        alert_on=str(alert_on) if alert_on is not None else None,
    )
