"""The quality rules as data: expectations/rules.csv (what is checked, how severe, on which asset),
settings.csv (the current window) and return_forms.csv (which forms the returns need).

Thresholds and severities live in these files, never in Python: changing a tolerance is a CSV edit.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from expectations.results import SEVERITIES

HERE = Path(__file__).resolve().parent
RULES_CSV = HERE / "rules.csv"
SETTINGS_CSV = HERE / "settings.csv"
RETURN_FORMS_CSV = HERE / "return_forms.csv"
KINDS = (
    "ge_forms",
    "ge_mart",
    "counties_sum",
    "sources_agree",
    "parts_le_totals",
    "outlier",
    "unit_slip",
    "forms_submitted",
    "forms_on_time",
    "document_conflict",
)


class RulesError(Exception):
    """The rules files cannot be used; the message (Chinese) says where."""


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    asset_key: str  # e.g. marts/fct_element_values
    kind: str
    threshold: float | None
    params: dict[str, str] = field(default_factory=dict, hash=False)
    name: str = ""
    description: str = ""
    fix: str = ""

    @property
    def asset_path(self) -> list[str]:
        return self.asset_key.split("/")

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    def param(self, key: str, default: float | None = None) -> float:
        raw = self.params.get(key)
        if raw is None:
            if default is None:
                raise RulesError(f"rules.csv: 规则 {self.code} 缺少参数 {key}")
            return default
        return float(raw)


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError as exc:
        raise RulesError(f"质量规则文件缺失：{path}") from exc


def _params(raw: str, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        key, sep, value = part.partition("=")
        if not sep:
            raise RulesError(f"{where}: 参数应为 key=value，收到 {part!r}")
        out[key.strip()] = value.strip()
    return out


@cache
def load_rules(path: Path = RULES_CSV) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for line, row in enumerate(_read(path), start=2):
        where = f"{path.name} 第 {line} 行"
        code = row["rule_code"].strip()
        if not code.isidentifier() or code in seen:
            raise RulesError(f"{where}: 规则编码 {code!r} 无效或重复（应为字母、数字、下划线）")
        if row["severity"] not in SEVERITIES:
            raise RulesError(f"{where}: 严重程度应为 error 或 warning，收到 {row['severity']!r}")
        if row["kind"] not in KINDS:
            raise RulesError(f"{where}: 未知的检查类型 {row['kind']!r}")
        seen.add(code)
        rules.append(
            Rule(
                code=code,
                severity=row["severity"],
                asset_key=row["asset_key"],
                kind=row["kind"],
                threshold=float(row["threshold"]) if row["threshold"].strip() else None,
                params=_params(row["params"], where),
                name=row["rule_name"],
                description=row["description"],
                fix=row["fix"],
            )
        )
    return tuple(rules)


def rules_by_code() -> dict[str, Rule]:
    return {r.code: r for r in load_rules()}


@cache
def gate_settings(path: Path = SETTINGS_CSV) -> dict[str, str]:
    return {row["setting"]: row["value"] for row in _read(path)}


def setting(name: str) -> int:
    return int(gate_settings()[name])


@cache
def return_forms(path: Path = RETURN_FORMS_CSV) -> dict[str, bool]:
    """form_code -> whether a return needs it (a missing one is then an error, not a warning)."""
    return {row["form_code"]: row["required_for_returns"].strip().lower() == "true" for row in _read(path)}


def window_start(as_of: date) -> date:
    """First period end inside the current window: `window_months` months before `as_of`."""
    months = setting("window_months")
    index = as_of.year * 12 + as_of.month - 1 - months
    year, month = divmod(index, 12)
    day = min(as_of.day, 28)
    return date(year, month + 1, day)
