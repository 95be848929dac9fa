"""What a form holds and who fills it in, read from the catalogue (never written down in code)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sources.catalogue import Catalogue, CatalogueError, Element, Unit
from sources.forms.layout import ELEMENT_LAYOUT, TASK_LAYOUT
from sources.periods import Period


class FormError(CatalogueError):
    """A form, region or department that the catalogue does not know or does not match."""


@dataclass(frozen=True)
class FormRow:
    row_no: int
    element: Element
    unit: Unit
    required: bool

    @property
    def is_count(self) -> bool:
        return self.element.value_type == "integer"


@dataclass(frozen=True)
class FormRule:
    code: str
    left: tuple[str, ...]
    comparator: str  # '=', '<=' or '>='
    right: tuple[str, ...]
    severity: str  # 'error' or 'warning'
    description: str


@dataclass(frozen=True)
class FormSpec:
    code: str
    name: str
    table_no: str
    period_type: str
    due_days: int
    template_version: int
    department_kind: str
    region_levels: tuple[str, ...]
    source_kind: str
    issuing_authority: str
    approval_no: str
    valid_until: str
    description: str
    rows: tuple[FormRow, ...]
    rules: tuple[FormRule, ...]
    layout_kind: str = ELEMENT_LAYOUT  # TASK_LAYOUT for task_forms.csv rows
    progress_max_chars: int | None = None  # task forms: the 进展情况 length limit
    status_names: tuple[str, ...] = ()  # task forms: the allowed 推进状态 (task_statuses.csv, in order)

    @property
    def element_codes(self) -> list[str]:
        return [r.element.code for r in self.rows]

    def row(self, element_code: str) -> FormRow | None:
        return next((r for r in self.rows if r.element.code == element_code), None)


@dataclass(frozen=True)
class TaskRow:
    """One key task on a task-report form (plan_tasks.csv)."""

    task_code: str
    plan_code: str
    task_group_no: int
    task_group: str
    item_no: int
    title: str
    content: str
    deadline: date | None
    deadline_text: str

    @property
    def number(self) -> str:
        return f"{self.task_group_no}.{self.item_no}"

    def is_due_by(self, day: date) -> bool:
        """The task's deadline has passed by `day` (a status is then required)."""
        return self.deadline is not None and self.deadline < day


@dataclass(frozen=True)
class Assignment:
    """One department's duty to fill in one form for its region."""

    form: FormSpec
    department_code: str
    department_name: str
    region_code: str
    region_name: str
    tasks: tuple[TaskRow, ...] = ()  # task forms: the tasks this department leads, in plan order

    @property
    def row_codes(self) -> list[str]:
        """The codes of the form's rows, as written in column B and covered by the checksum."""
        if self.form.layout_kind == TASK_LAYOUT:
            return [t.task_code for t in self.tasks]
        return self.form.element_codes


def row_codes(catalogue: Catalogue, form: FormSpec, department_code: str) -> list[str]:
    """The row codes a template of `form` for `department_code` carries (before identity is checked)."""
    if form.layout_kind == TASK_LAYOUT:
        return [t.task_code for t in led_tasks(catalogue, department_code)]
    return form.element_codes


def led_tasks(catalogue: Catalogue, department_code: str) -> tuple[TaskRow, ...]:
    """The tasks `department_code` leads (task_units.csv unit_role = lead), in plan and item order."""
    led = {
        r["task_code"]
        for r in catalogue.rows("task_units")
        if r["unit_role"] == "lead" and r["department_code"] == department_code
    }
    plan_order = {code: i for i, code in enumerate(catalogue.plans)}
    rows = [
        TaskRow(
            task_code=r["task_code"],
            plan_code=r["plan_code"],
            task_group_no=int(r["task_group_no"]),
            task_group=r["task_group"],
            item_no=int(r["item_no"]),
            title=r["title"],
            content=r["content"],
            deadline=date.fromisoformat(r["deadline"]) if r["deadline"] else None,
            deadline_text=r["deadline_text"],
        )
        for r in catalogue.rows("plan_tasks")
        if r["task_code"] in led
    ]
    return tuple(sorted(rows, key=lambda t: (plan_order.get(t.plan_code, 999), t.task_group_no, t.item_no)))


def task_leads(catalogue: Catalogue, region_code: str | None = None) -> list[dict[str, str]]:
    """Departments that lead at least one task (they fill in the task-report forms)."""
    leads = {r["department_code"] for r in catalogue.rows("task_units") if r["unit_role"] == "lead"}
    return [
        d
        for d in catalogue.rows("departments")
        if d["department_code"] in leads and (region_code is None or d["region_code"] == region_code)
    ]


def form_spec(catalogue: Catalogue, form_code: str) -> FormSpec:
    """The form `form_code`: an element form (forms.csv) or a task-report form (task_forms.csv)."""
    forms = {r["form_code"]: r for r in catalogue.rows("forms")}
    task_forms = {r["form_code"]: r for r in catalogue.rows("task_forms")}
    if form_code in task_forms:
        statuses = sorted(catalogue.rows("task_statuses"), key=lambda r: int(r["sort_order"]))
        return _task_form_spec(task_forms[form_code], tuple(r["status_name"] for r in statuses))
    if form_code not in forms:
        known = "、".join(sorted([*forms, *task_forms]))
        raise FormError(f"未知的报表：{form_code}。可用报表：{known}")
    f = forms[form_code]
    rows = []
    for r in sorted(
        (r for r in catalogue.rows("form_elements") if r["form_code"] == form_code), key=lambda r: int(r["row_no"])
    ):
        element = catalogue.elements[r["element_code"]]
        rows.append(FormRow(int(r["row_no"]), element, catalogue.units[element.unit_code], r["is_required"] == "true"))
    rules = tuple(
        FormRule(
            r["rule_code"],
            tuple(r["left_terms"].split("+")),
            r["comparator"],
            tuple(r["right_terms"].split("+")),
            r["severity"],
            r["description"],
        )
        for r in catalogue.rows("form_rules")
        if r["form_code"] == form_code
    )
    return FormSpec(
        code=form_code,
        name=f["form_name"],
        table_no=f["table_no"],
        period_type=f["period_type"],
        due_days=int(f["due_days"]),
        template_version=int(f["template_version"]),
        department_kind=f["department_kind"],
        region_levels=tuple(f["region_levels"].split("|")),
        source_kind=f["source_kind"],
        issuing_authority=f["issuing_authority"],
        approval_no=f["approval_no"],
        valid_until=f["valid_until"],
        description=f["description"],
        rows=tuple(rows),
        rules=rules,
    )


def _task_form_spec(f: dict[str, str], status_names: tuple[str, ...]) -> FormSpec:
    return FormSpec(
        code=f["form_code"],
        name=f["form_name"],
        table_no=f["table_no"],
        period_type=f["period_type"],
        due_days=int(f["due_days"]),
        template_version=int(f["template_version"]),
        department_kind="",
        region_levels=(),
        source_kind="task_report",
        issuing_authority=f["issuing_authority"],
        approval_no=f["approval_no"],
        valid_until=f["valid_until"],
        description=f["description"],
        rows=(),
        rules=(),
        layout_kind=TASK_LAYOUT,
        progress_max_chars=int(f["progress_max_chars"]),
        status_names=status_names,
    )


def submitters(catalogue: Catalogue, form: FormSpec, region_code: str | None = None) -> list[dict[str, str]]:
    """Departments that fill in `form` (optionally only those of one region)."""
    return [
        d
        for d in catalogue.rows("departments")
        if d["department_kind"] == form.department_kind
        and d["department_level"] in form.region_levels
        and d["submits_data"] == "true"
        and (region_code is None or d["region_code"] == region_code)
    ]


def assignment(
    catalogue: Catalogue, form_code: str, region_code: str, department_code: str | None = None
) -> Assignment:
    """Resolve who fills in `form_code` for `region_code`; `department_code` picks one of several."""
    form = form_spec(catalogue, form_code)
    regions = {r["region_code"]: r for r in catalogue.rows("regions")}
    if region_code not in regions:
        raise FormError(f"未知的地区代码：{region_code}")
    is_tasks = form.layout_kind == TASK_LAYOUT
    candidates = task_leads(catalogue, region_code) if is_tasks else submitters(catalogue, form, region_code)
    if department_code is not None:
        candidates = [d for d in candidates if d["department_code"] == department_code]
        if not candidates:
            why = "（只有 task_units.csv 中的重点任务牵头单位填报）" if is_tasks else ""
            raise FormError(
                f"{department_code} 不是{regions[region_code]['region_name']}《{form.name}》的填报单位{why}"
            )
    if not candidates:
        raise FormError(f"{regions[region_code]['region_name']}没有填报《{form.name}》的单位")
    if len(candidates) > 1:
        names = "、".join(f"{d['department_code']}（{d['department_name']}）" for d in candidates)
        raise FormError(
            f"{regions[region_code]['region_name']}有多个单位填报《{form.name}》，请用 --department 指定：{names}"
        )
    d = candidates[0]
    tasks = led_tasks(catalogue, d["department_code"]) if is_tasks else ()
    return Assignment(
        form, d["department_code"], d["department_name"], region_code, regions[region_code]["region_name"], tasks
    )


def check_period(form: FormSpec, raw_period: str) -> Period:
    """Parse a period for this form's frequency (a quarterly form takes 2026Q3, not 2026-09)."""
    return Period.parse(raw_period, form.period_type)
