"""The catalogue as Python reads it: the same CSV files dbt loads as seeds.

Intake, templates and the CLI read these files directly, so they work before (and without) a
warehouse build; dbt loads the same files into the warehouse and tests them there.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path

TABLES = (
    "regions",
    "department_kinds",
    "departments",
    "units",
    "data_elements",
    "forms",
    "form_elements",
    "form_rules",
    "plans",
    "target_kinds",
    "indicators",
    "indicator_terms",
    "plan_targets",
    "target_peer_sets",
    "document_conflicts",
    "plan_tasks",
    "task_units",
    "leading_group_members",
    "plan_milestones",
    "centre_programme_rules",
    "centre_applicant_kinds",
    "industry_centres",
    "task_forms",
    "task_statuses",
    "centre_monitoring_rules",
    "returns",
)


# How a share target is judged (plan_targets.judgement) and which source's figure is in force for an
# element (data_elements.preferred_source); the SQL models interpret these values.
JUDGEMENTS = ("pooled", "each_year")
PREFERRED_SOURCES = ("form", "bulletin", "records")
_SEED_CITATION = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt, \S")


class CatalogueError(Exception):
    """The catalogue files cannot be read or are inconsistent; the message says where."""


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    dimension: str
    to_base_factor: Decimal
    decimals: int


@dataclass(frozen=True)
class Element:
    code: str
    name: str
    unit_code: str
    value_type: str
    aggregation: str
    min_value: Decimal | None
    max_value: Decimal | None
    owner_kind: str
    source_kind: str


@dataclass(frozen=True)
class Target:
    code: str
    plan_code: str
    target_no: int
    indicator_code: str
    text: str
    kind: str | None
    comparator: str | None
    value: Decimal | None
    unit_code: str
    target_date: str
    baseline_value: Decimal | None
    baseline_period: str | None
    value_status: str
    name_status: str
    seed_file: str
    seed_section: str
    note: str | None

    @property
    def citation(self) -> str:
        return f"{self.seed_file}, {self.seed_section}"


def _decimal(raw: str, where: str) -> Decimal | None:
    if raw == "":
        return None
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise CatalogueError(f"{where}: 不是数字：{raw!r}") from exc


def _none(raw: str) -> str | None:
    return raw or None


class Catalogue:
    """Read-only view over the seed CSVs in one folder."""

    def __init__(self, seeds_dir: Path) -> None:
        self.seeds_dir = seeds_dir
        self._tables: dict[str, list[dict[str, str]]] = {}

    def rows(self, table: str) -> list[dict[str, str]]:
        if table not in TABLES:
            raise CatalogueError(f"未知的目录表：{table}")
        if table not in self._tables:
            path = self.seeds_dir / f"{table}.csv"
            try:
                with path.open(encoding="utf-8", newline="") as handle:
                    reader = csv.DictReader(handle)
                    rows = list(reader)
                    header = reader.fieldnames or []
            except FileNotFoundError as exc:
                raise CatalogueError(f"目录文件缺失：{path}") from exc
            except UnicodeDecodeError as exc:
                raise CatalogueError(f"目录文件不是 UTF-8 编码：{path}") from exc
            for line_no, row in enumerate(rows, start=2):
                if None in row or any(v is None for v in row.values()):
                    raise CatalogueError(f"{path.name} 第 {line_no} 行的列数与表头（{len(header)} 列）不一致")
            self._tables[table] = rows
        return self._tables[table]

    @cached_property
    def units(self) -> dict[str, Unit]:
        return {
            r["unit_code"]: Unit(
                r["unit_code"],
                r["unit_name"],
                r["dimension"],
                _decimal(r["to_base_factor"], f"units.{r['unit_code']}") or Decimal(0),
                int(r["decimals"]),
            )
            for r in self.rows("units")
        }

    @cached_property
    def elements(self) -> dict[str, Element]:
        out = {}
        for r in self.rows("data_elements"):
            where = f"data_elements.{r['element_code']}"
            out[r["element_code"]] = Element(
                r["element_code"],
                r["element_name"],
                r["unit_code"],
                r["value_type"],
                r["aggregation"],
                _decimal(r["min_value"], where),
                _decimal(r["max_value"], where),
                r["owner_kind"],
                r["source_kind"],
            )
        return out

    @cached_property
    def plans(self) -> dict[str, dict[str, str]]:
        return {r["plan_code"]: r for r in self.rows("plans")}

    @cached_property
    def targets(self) -> list[Target]:
        out = []
        for r in self.rows("plan_targets"):
            where = f"plan_targets.{r['target_code']}"
            out.append(
                Target(
                    code=r["target_code"],
                    plan_code=r["plan_code"],
                    target_no=int(r["target_no"]),
                    indicator_code=r["indicator_code"],
                    text=r["target_text"],
                    kind=_none(r["target_kind"]),
                    comparator=_none(r["comparator"]),
                    value=_decimal(r["target_value"], where),
                    unit_code=r["target_unit_code"],
                    target_date=r["target_date"],
                    baseline_value=_decimal(r["baseline_value"], where),
                    baseline_period=_none(r["baseline_period"]),
                    value_status=r["target_value_status"],
                    name_status=r["name_status"],
                    seed_file=r["seed_file"],
                    seed_section=r["seed_section"],
                    note=_none(r["note"]),
                )
            )
        return out

    def targets_of(self, plan_code: str) -> list[Target]:
        return [t for t in self.targets if t.plan_code == plan_code]

    def codes(self, table: str, column: str) -> set[str]:
        return {r[column] for r in self.rows(table)}

    def problems(self) -> list[str]:
        """Cross-file consistency problems, in Chinese, one line each (empty when clean).

        The same rules run as dbt tests in the warehouse; this copy answers in a second,
        without a warehouse, for `ipwh catalogue check` and before any build.
        """
        out: list[str] = []
        for table in TABLES:
            try:
                self.rows(table)
            except CatalogueError as exc:
                out.append(str(exc))
        if out:
            return out
        out += _dangling(self.rows("departments"), "region_code", self.codes("regions", "region_code"), "departments")
        out += _dangling(self.rows("data_elements"), "unit_code", set(self.units), "data_elements")
        out += _dangling(self.rows("form_elements"), "element_code", set(self.elements), "form_elements")
        out += _dangling(self.rows("form_elements"), "form_code", self.codes("forms", "form_code"), "form_elements")
        out += _dangling(self.rows("indicator_terms"), "element_code", set(self.elements), "indicator_terms")
        out += _dangling(
            self.rows("plan_targets"), "indicator_code", self.codes("indicators", "indicator_code"), "plan_targets"
        )
        out += _dangling(self.rows("plan_targets"), "plan_code", set(self.plans), "plan_targets")
        out += _dangling(
            self.rows("task_units"), "department_code", self.codes("departments", "department_code"), "task_units"
        )
        out += _dangling(
            self.rows("returns"), "issuing_department_code", self.codes("departments", "department_code"), "returns"
        )
        for table, key in (
            ("regions", "region_code"),
            ("departments", "department_code"),
            ("data_elements", "element_code"),
            ("forms", "form_code"),
            ("plans", "plan_code"),
            ("plan_targets", "target_code"),
            ("indicators", "indicator_code"),
            ("units", "unit_code"),
        ):
            seen: set[str] = set()
            for r in self.rows(table):
                if r[key] in seen:
                    out.append(f"{table}: {key} 重复：{r[key]}")
                seen.add(r[key])
        out += self._task_and_centre_problems()
        out += self._judgement_and_source_problems()
        out += self._kind_problems()
        for t in self.targets:
            plan = self.plans.get(t.plan_code)
            if plan and t.seed_file != plan["source_file"]:
                out.append(f"plan_targets.{t.code}: 出处 {t.seed_file} 与规划来源 {plan['source_file']} 不符")
            if not t.seed_section.strip():
                out.append(f"plan_targets.{t.code}: 缺少出处章节")
        return out

    def _task_and_centre_problems(self) -> list[str]:
        """Task-report forms, task statuses and centre monitoring rules (see task_forms.csv)."""
        out: list[str] = []
        element_forms = self.codes("forms", "form_code")
        table_nos = self.codes("forms", "table_no")
        for r in self.rows("task_forms"):
            if r["form_code"] in element_forms:
                out.append(f"task_forms: form_code {r['form_code']} 与 forms.csv 重复")
            if r["table_no"] in table_nos:
                out.append(f"task_forms.{r['form_code']}: 表号 {r['table_no']} 与 forms.csv 重复")
            if not r["progress_max_chars"].isdigit():
                out.append(f"task_forms.{r['form_code']}: progress_max_chars 应为正整数：{r['progress_max_chars']!r}")
        statuses = self.rows("task_statuses")
        if not any(r["is_done"] == "true" for r in statuses):
            out.append("task_statuses: 没有表示“已完成”的状态（is_done = true）")
        keys = (("task_statuses", "status_name"), ("task_statuses", "status_code"), ("task_forms", "form_code"))
        for table, key in keys:
            seen: set[str] = set()
            for r in self.rows(table):
                if r[key] in seen:
                    out.append(f"{table}: {key} 重复：{r[key]}")
                seen.add(r[key])
        rules = self.codes("centre_programme_rules", "rule_code") | self.codes("centre_monitoring_rules", "rule_code")
        for needed in ("annual_summary_interval", "re_review_interval", "summary_due_days", "review_due_soon_days"):
            if needed not in rules:
                out.append(f"中心规则缺少 {needed}（centre_programme_rules.csv / centre_monitoring_rules.csv）")
        return out

    def _kind_problems(self) -> list[str]:
        """Ranking targets need a peer set; "A 或 B" pairs name each other; conflicts name known elements."""
        out: list[str] = []
        rows = {r["target_code"]: r for r in self.rows("plan_targets")}
        peers = self.rows("target_peer_sets")
        out += _dangling(peers, "target_code", set(rows), "target_peer_sets")
        out += _dangling(peers, "scope_region_code", self.codes("regions", "region_code"), "target_peer_sets")
        conflicts = self.rows("document_conflicts")
        out += _dangling(conflicts, "element_code", set(self.elements), "document_conflicts")
        out += _dangling(conflicts, "unit_code", set(self.units), "document_conflicts")
        for c in conflicts:
            for code in c["target_codes"].split("|"):
                if code not in rows:
                    out.append(f"document_conflicts.{c['conflict_code']}: target_codes 含未知目标 {code}")
        ranked = {r["target_code"] for r in peers}
        for code, r in rows.items():
            if r["target_kind"] == "rank_max" and code not in ranked:
                out.append(f"plan_targets.{code}: 排名目标缺少比较范围（target_peer_sets.csv）")
            other = r.get("either_of_target", "")
            if other and rows.get(other, {}).get("either_of_target") != code:
                out.append(f"plan_targets.{code}: either_of_target {other} 未反向指回本目标")
        return out

    def _judgement_and_source_problems(self) -> list[str]:
        """plan_targets.judgement against target_kinds.judgements; data_elements.preferred_source and citation."""
        out: list[str] = []
        for table, columns in (
            ("target_kinds", ("judgements",)),
            ("plan_targets", ("judgement",)),
            ("data_elements", ("preferred_source", "preferred_source_citation")),
        ):
            rows = self.rows(table)
            missing = [c for c in columns if rows and c not in rows[0]]
            if missing:
                out.append(f"{table}.csv 缺少列：{'、'.join(missing)}")
        if out:
            return out
        judgements = "、".join(JUDGEMENTS)
        allowed_by_kind = {
            r["target_kind"]: set(filter(None, r["judgements"].split("|"))) for r in self.rows("target_kinds")
        }
        for kind, allowed in allowed_by_kind.items():
            for value in sorted(allowed - set(JUDGEMENTS)):
                out.append(f"target_kinds.{kind}: judgements 含未知判定方式 {value!r}（可选：{judgements}）")
        for r in self.rows("plan_targets"):
            value, kind = r["judgement"], r["target_kind"]
            where = f"plan_targets.{r['target_code']}: judgement = {value!r}"
            if not value:
                continue
            if value not in JUDGEMENTS:
                out.append(f"{where} 未知（可选：{judgements}；不适用时留空）")
            elif value not in allowed_by_kind.get(kind, set()):
                out.append(f"{where} 不适用于目标类型 {kind or '（空）'}（见 target_kinds.judgements）")
            elif not r["note"].strip():
                out.append(f"{where} 须在 note 中说明所依据的种子原文")
        sources = "、".join(PREFERRED_SOURCES)
        for r in self.rows("data_elements"):
            value, citation = r["preferred_source"], r["preferred_source_citation"]
            where = f"data_elements.{r['element_code']}: preferred_source = {value!r}"
            if value and value not in PREFERRED_SOURCES:
                out.append(f"{where} 未知（可选：{sources}；默认留空）")
            elif value and not _SEED_CITATION.match(citation):
                out.append(f"{where} 缺少出处（preferred_source_citation 应为“种子文件, 章节”）")
            elif citation and not value:
                out.append(f"data_elements.{r['element_code']}: 有 preferred_source_citation 而无 preferred_source")
        return out


def _dangling(rows: Iterable[dict[str, str]], column: str, valid: set[str], table: str) -> list[str]:
    return [f"{table}: {column} = {r[column]!r} 在目录中不存在" for r in rows if r[column] and r[column] not in valid]


def load(seeds_dir: Path | None = None) -> Catalogue:
    if seeds_dir is None:
        from core.settings import SEEDS_DIR

        seeds_dir = SEEDS_DIR
    return Catalogue(seeds_dir)
