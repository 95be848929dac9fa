"""What a form holds and who fills it in, read from the catalogue (never written down in code)."""

from __future__ import annotations

from dataclasses import dataclass

from sources.catalogue import Catalogue, CatalogueError, Element, Unit
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

    @property
    def element_codes(self) -> list[str]:
        return [r.element.code for r in self.rows]

    def row(self, element_code: str) -> FormRow | None:
        return next((r for r in self.rows if r.element.code == element_code), None)


@dataclass(frozen=True)
class Assignment:
    """One department's duty to fill in one form for its region."""

    form: FormSpec
    department_code: str
    department_name: str
    region_code: str
    region_name: str


def form_spec(catalogue: Catalogue, form_code: str) -> FormSpec:
    forms = {r["form_code"]: r for r in catalogue.rows("forms")}
    if form_code not in forms:
        known = "、".join(sorted(forms))
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
    candidates = submitters(catalogue, form, region_code)
    if department_code is not None:
        candidates = [d for d in candidates if d["department_code"] == department_code]
        if not candidates:
            raise FormError(f"{department_code} 不是{regions[region_code]['region_name']}《{form.name}》的填报单位")
    if not candidates:
        raise FormError(f"{regions[region_code]['region_name']}没有填报《{form.name}》的单位")
    if len(candidates) > 1:
        names = "、".join(f"{d['department_code']}（{d['department_name']}）" for d in candidates)
        raise FormError(
            f"{regions[region_code]['region_name']}有多个单位填报《{form.name}》，请用 --department 指定：{names}"
        )
    d = candidates[0]
    return Assignment(
        form, d["department_code"], d["department_name"], region_code, regions[region_code]["region_name"]
    )


def check_period(form: FormSpec, raw_period: str) -> Period:
    """Parse a period for this form's frequency (a quarterly form takes 2026Q3, not 2026-09)."""
    return Period.parse(raw_period, form.period_type)
