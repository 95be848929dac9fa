"""Decide whether a read form can be accepted, collecting every problem rather than the first.

Identity first (which form, department, region, period; cross-checked against the inbox folder
and the metadata checksum), then each cell (type, range, required), then the form's own rules
from the catalogue. A single error rejects the whole file; warnings travel on the receipt.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sources.catalogue import Catalogue
from sources.forms import layout
from sources.forms.spec import Assignment, FormError, FormRow, FormRule, assignment, form_spec, row_codes
from sources.intake.normalise import parse_number
from sources.intake.problems import Problem, error, quote, warning
from sources.intake.readers import Entry, RawForm
from sources.intake.store import locking_period, period_locked_problem
from sources.periods import Period, PeriodError

_USE_TEMPLATE = "请使用系统生成的模板（ipwh template）重新填报"
_MAX_DIGITS = 30  # the raw tables hold DECIMAL(38, 6); no real figure comes near


@dataclass(frozen=True)
class TaskValue:
    """One task's row on an accepted task-report form (status and progress as typed, tidied)."""

    task_code: str
    status: str | None
    progress: str | None
    status_entry: Entry
    progress_entry: Entry | None


@dataclass
class Checked:
    assignment: Assignment | None
    period: Period | None
    values: list[tuple[Entry, Decimal | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sample: bool = False
    task_values: list[TaskValue] = field(default_factory=list)  # task-report forms (layout.TASK_LAYOUT)

    @property
    def accepted(self) -> bool:
        return self.assignment is not None and self.period is not None and not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass(frozen=True)
class Context:
    today: date
    inbox_department: str | None = None
    locked: frozenset[tuple[str, str, str]] = frozenset()  # (form, department, period) already in a submitted return
    locked_periods: tuple[Period, ...] = ()  # periods of submitted returns: every kind of form is refused inside them


def check_form(raw: RawForm, catalogue: Catalogue, context: Context) -> Checked:
    problems = list(raw.problems)
    where_meta = {"sheet": layout.META_SHEET} if raw.workbook else {"sheet": "csv"}
    identity = _identify(raw, catalogue, context, problems, where_meta)
    checked = Checked(*identity, problems=problems, sample=raw.meta.get("sample", "0") in ("1", "true", "是"))
    if checked.assignment is None:
        return checked
    if checked.assignment.form.layout_kind == layout.TASK_LAYOUT:  # the one place a layout picks its checks
        from sources.intake.task_checks import check_task_rows

        check_task_rows(raw, checked, catalogue)
        return checked
    rows = {r.element.code: r for r in checked.assignment.form.rows}
    seen: dict[str, Entry] = {}
    for entry in _by_element_code(raw.entries, checked.assignment.form.rows):
        row = rows.get(entry.element_code)
        at = {"sheet": entry.sheet, "cell": entry.cell, "element_code": entry.element_code}
        if row is None:
            problems.append(
                error(
                    "unknown_element",
                    f"指标代码 {quote(entry.element_code)} 不属于《{checked.assignment.form.name}》",
                    "请不要修改“代码”列或插入行；使用本期模板重新填报",
                    found=quote(entry.element_code),
                    **at,
                )
            )
            continue
        if entry.element_code in seen:
            problems.append(
                error(
                    "duplicate_element",
                    f"“{row.element.name}”出现了两次（另一处在 {seen[entry.element_code].cell}）",
                    "每个指标只填一行，请删除重复的行",
                    found=quote(entry.raw),
                    **at,
                )
            )
            continue
        seen[entry.element_code] = entry
        value = _check_cell(entry, row, problems, at)
        checked.values.append((entry, value))
    for code, row in rows.items():
        if code not in seen and row.required:
            problems.append(
                error(
                    "missing_row",
                    f"缺少必填指标“{row.element.name}”（代码 {layout.display_code(row.row_no)}）所在的行（可能被删除）",
                    "请不要删除模板中的行；使用本期模板重新填报",
                    element_code=code,
                )
            )
    if not checked.errors:
        known = {entry.element_code: value for entry, value in checked.values}
        cells = {entry.element_code: entry for entry, _ in checked.values}
        for rule in checked.assignment.form.rules:
            problem = _check_rule(rule, known, cells, catalogue)
            if problem:
                problems.append(problem)
    return checked


def _by_element_code(entries: list[Entry], rows: tuple[FormRow, ...]) -> list[Entry]:
    """Entries keyed by element code: a row's display code (01, 02 … in the 代码 column) is mapped to
    its element through the form's rows; templates made before display codes carry the element code."""
    codes = {layout.display_code(r.row_no): r.element.code for r in rows}
    out = []
    for entry in entries:
        if layout.DISPLAY_CODE.match(entry.element_code):
            entry = replace(entry, element_code=codes.get(entry.element_code, entry.element_code))
        out.append(entry)
    return out


def _identify(
    raw: RawForm,
    catalogue: Catalogue,
    context: Context,
    problems: list[Problem],
    where: dict[str, str],
) -> tuple[Assignment | None, Period | None]:
    meta = raw.meta
    missing = [key for key in layout.META_KEYS if key not in ("sample", "checksum") and not meta.get(key)]
    if raw.workbook and not meta:
        problems.append(
            error("missing_metadata", "文件缺少模板的隐藏信息表，无法识别报表、单位和报告期", _USE_TEMPLATE)
        )
        return None, None
    if missing:
        problems.append(error("missing_metadata", f"模板信息缺少：{'、'.join(missing)}", _USE_TEMPLATE, **where))
        return None, None
    try:
        form = form_spec(catalogue, meta["form_code"])
    except FormError as exc:
        problems.append(error("unknown_form", str(exc), _USE_TEMPLATE, found=quote(meta["form_code"]), **where))
        return None, None
    if meta["template_version"] != str(form.template_version):
        problems.append(
            error(
                "template_version",
                f"模板版本为 {quote(meta['template_version'])}，现行版本为 {form.template_version}",
                f"请下载现行模板重新填报：ipwh template {form.code} --region {meta['region_code']} --period …",
                found=quote(meta["template_version"]),
                **where,
            )
        )
    if raw.workbook:
        expected = layout.meta_checksum(meta, row_codes(catalogue, form, meta["department_code"]))
        if meta.get("checksum") != expected:
            problems.append(
                error(
                    "metadata_edited",
                    "模板的隐藏信息（报表、单位、地区或报告期）被修改过，与模板不符",
                    "请不要复制往期报表改期使用；请用本期模板重新填报",
                    found=quote(meta.get("checksum", "")),
                    **where,
                )
            )
    try:
        found = assignment(catalogue, form.code, meta["region_code"], meta["department_code"])
    except FormError as exc:
        problems.append(
            error(
                "wrong_department",
                str(exc),
                "请使用为本单位生成的模板；如单位信息有误请联系知识产权局",
                found=quote(f"{meta['region_code']} / {meta['department_code']}"),
                **where,
            )
        )
        return None, None
    if context.inbox_department and context.inbox_department != found.department_code:
        problems.append(
            error(
                "inbox_mismatch",
                f"文件是{found.department_name}（{found.department_code}）的报表，"
                f"却放在了 {context.inbox_department} 的收件夹",
                f"请放入 inbox/{found.department_code}/，或确认是否拿错了其他单位的模板",
                found=quote(found.department_code),
                **where,
            )
        )
    try:
        period = Period.parse(meta["period"], form.period_type)
    except PeriodError as exc:
        problems.append(error("bad_period", str(exc), _USE_TEMPLATE, found=quote(meta["period"]), **where))
        return found, None
    if not period.has_ended(context.today):
        problems.append(
            error(
                "period_not_ended",
                f"报告期 {period.label} 尚未结束（截至 {period.end.isoformat()}），不能报送",
                f"请在 {period.end.isoformat()} 之后报送",
                found=period.code,
                **where,
            )
        )
    locking = locking_period(period, context.locked_periods)
    if locking is not None or (form.code, found.department_code, period.code) in context.locked:
        problems.append(period_locked_problem(period, locking, **where))
    return found, period


def _check_cell(entry: Entry, row: FormRow, problems: list[Problem], at: dict[str, str]) -> Decimal | None:
    name = row.element.name
    unit = row.unit.name
    found = quote(entry.raw)
    if entry.formula_without_value:
        problems.append(
            error(
                "formula_no_value",
                f"“{name}”是公式，但没有计算结果",
                "请在 Excel/WPS 中重新计算并保存，或直接填写数值",
                found="（公式）",
                **at,
            )
        )
        return None
    if entry.merged:
        problems.append(
            error("merged_cell", f"“{name}”所在单元格被合并", "请取消合并单元格，每个指标单独填写", found=found, **at)
        )
    if entry.hidden and entry.raw is not None:
        problems.append(
            error(
                "hidden_cell",
                f"“{name}”的数值位于被隐藏的行或列中",
                "请取消隐藏并核对该数值后重新报送",
                found=found,
                **at,
            )
        )
    parsed = parse_number(entry.raw, unit)
    if parsed.problem == "wrong_unit":
        problems.append(
            error(
                "wrong_unit",
                f"“{name}”带有单位“{parsed.detail}”，本行计量单位是“{unit}”",
                f"请换算为{unit}后只填数字",
                found=found,
                **at,
            )
        )
        return None
    if parsed.problem:
        hint = "不详请留空，不要填写“—”“N/A”等符号" if parsed.problem == "placeholder" else "请只填写阿拉伯数字"
        problems.append(error("not_a_number", f"“{name}”不是数值", hint, found=found, **at))
        return None
    value = _tidy(parsed.value)
    if value is None:
        if row.required:
            problems.append(error("required_blank", f"“{name}”为必填项，但未填写", "请填写；确实为零时填 0", **at))
        return None
    if entry.from_formula:
        problems.append(
            warning(
                "formula", f"“{name}”是公式，已采用其计算结果 {value}", "建议直接填写数值，便于核对", found=found, **at
            )
        )
    element = row.element
    if value.adjusted() >= _MAX_DIGITS:
        problems.append(
            error(
                "too_many_digits",
                f"“{name}”数值位数过多（超过 {_MAX_DIGITS} 位整数）",
                "请核对数值和计量单位",
                found=found,
                **at,
            )
        )
        return None
    if row.is_count and value != value.to_integral_value():
        problems.append(error("not_whole", f"“{name}”应为整数（计量单位：{unit}）", "请填写整数", found=found, **at))
        return None
    if element.min_value is not None and value < element.min_value:
        problems.append(
            error("below_min", f"“{name}”不能小于 {element.min_value}", "请核对后填写非负数", found=found, **at)
        )
        return None
    if element.max_value is not None and value > element.max_value:
        problems.append(
            error(
                "above_max",
                f"“{name}”不能大于 {element.max_value}（计量单位：{unit}）",
                f"请核对；百分比请填 0–{element.max_value} 之间的数" if unit == "%" else "请核对后填写",
                found=found,
                **at,
            )
        )
        return None
    places = row.unit.decimals
    if value.as_tuple().exponent < -places and not row.is_count:
        problems.append(
            warning(
                "rounded",
                f"“{name}”小数位多于 {places} 位，统计时按原值保存",
                f"建议保留 {places} 位小数",
                found=found,
                **at,
            )
        )
    return value


def _tidy(value: Decimal | None) -> Decimal | None:
    """Drop the '.0' spreadsheets add to whole numbers (239.0 → 239), keeping every real decimal."""
    if value is None or value.adjusted() >= _MAX_DIGITS or value != value.to_integral_value():
        return value
    return value.quantize(Decimal(1))


def _check_rule(
    rule: FormRule, known: dict[str, Decimal | None], cells: dict[str, Entry], catalogue: Catalogue
) -> Problem | None:
    terms = [*rule.left, *rule.right]
    if any(known.get(term) is None for term in terms):
        return None  # DHIS2's "skip if any value missing": a blank optional cell is not a violation
    left = sum((known[t] or Decimal(0) for t in rule.left), Decimal(0))
    right = sum((known[t] or Decimal(0) for t in rule.right), Decimal(0))
    holds = {"=": left == right, "<=": left <= right, ">=": left >= right}[rule.comparator]
    if holds:
        return None
    names = catalogue.elements
    left_text = "+".join(names[t].name for t in rule.left)
    right_text = "+".join(names[t].name for t in rule.right)
    left_side = _rule_side([names[t].name for t in rule.left], left)
    right_side = _rule_side([names[t].name for t in rule.right], right)
    first = cells[rule.left[0]]
    cell_list = "、".join(cells[t].cell for t in terms)
    make = error if rule.severity == "error" else warning
    return make(
        f"rule:{rule.code}",
        f"{rule.description}：{left_text} = {left}，{right_text} = {right}",
        f"请核对 {cell_list} 的数值" + ("" if rule.severity == "error" else "；如属实可在报出时说明"),
        sheet=first.sheet,
        cell=cell_list,
        element_code=rule.left[0],
        found=f"{left_side}{_RULE_VERBS[rule.comparator]}{right_side}，相差 {_tidy(abs(left - right))}",
    )


_RULE_VERBS = {"=": "应等于", "<=": "应不大于", ">=": "应不小于"}


def _rule_side(names: list[str], total: Decimal) -> str:
    """One side of a form rule in words: '专利授权量（239）' or '发明、实用新型、外观设计专利授权量之和（293）'."""
    label = names[0] if len(names) == 1 else f"{'、'.join(names)}之和"
    return f"{label}（{_tidy(total)}）"
