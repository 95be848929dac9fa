"""Cell-by-cell checks of a task-report form (重点任务推进情况季报), after its identity is known.

Each row is one task the department leads: 推进状态 must be one of task_statuses.csv and is
required once the task's deadline has passed by the end of the period; 进展情况 is free text up
to the form's limit. Rows the template did not have, rows deleted, tasks the department does not
lead and duplicated tasks are errors, like rows on the element forms.
"""

from __future__ import annotations

from sources.catalogue import Catalogue
from sources.forms.layout import TASK_LAYOUT
from sources.forms.spec import TaskRow
from sources.intake.problems import Problem, error, quote
from sources.intake.readers import Entry, RawForm, cell_text
from sources.intake.validate import Checked, TaskValue
from sources.periods import Period

_USE_TEMPLATE = "请使用本单位本期的模板（ipwh tasks template）重新填报"


def check_task_rows(raw: RawForm, checked: Checked, catalogue: Catalogue) -> None:
    """Append problems to `checked` and fill `checked.task_values` (used only when there is no error)."""
    found, period = checked.assignment, checked.period
    assert found is not None and found.form.layout_kind == TASK_LAYOUT
    problems = checked.problems
    if not raw.workbook:
        problems.append(
            error(
                "wrong_format",
                f"《{found.form.name}》只接受系统生成的电子表格模板（.xlsx/.xls/.ods），不接受 CSV",
                _USE_TEMPLATE,
                sheet=raw.file_format,
            )
        )
        return
    tasks = {t.task_code: t for t in found.tasks}
    leads: dict[str, list[str]] = {}
    for r in catalogue.rows("task_units"):
        if r["unit_role"] == "lead":
            leads.setdefault(r["task_code"], []).append(r["department_code"])
    names = {d["department_code"]: d["department_name"] for d in catalogue.rows("departments")}
    by_code: dict[str, dict[str, Entry]] = {}
    first_cell: dict[str, str] = {}
    for entry in raw.entries:
        at = {"sheet": entry.sheet, "cell": entry.cell, "element_code": entry.element_code}
        code = entry.element_code
        if code not in tasks:
            if entry.field == "status":  # one problem per row, not per cell
                problems.append(_foreign_task(code, found.department_name, leads, names, at))
            continue
        row = by_code.setdefault(code, {})
        if entry.field in row:
            if entry.field == "status":
                problems.append(
                    error(
                        "duplicate_task",
                        f"任务 {code} 出现了两次（另一处在 {first_cell[code]}）",
                        "每项任务只填一行，请删除重复的行",
                        **at,
                    )
                )
            continue
        row[entry.field] = entry
        first_cell.setdefault(code, entry.cell)
    for code, task in tasks.items():
        if code not in by_code:
            problems.append(
                error(
                    "missing_row",
                    f"缺少任务 {code}（{task.number}）所在的行（可能被删除）",
                    "请不要删除模板中的行；使用本期模板重新填报",
                    element_code=code,
                )
            )
            continue
        value = _check_row(task, by_code[code], found.form.status_names, found.form.progress_max_chars or 0, period)
        checked.task_values.append(value[0])
        problems.extend(value[1])


def _foreign_task(
    code: str, department_name: str, leads: dict[str, list[str]], names: dict[str, str], at: dict[str, str]
) -> Problem:
    if code in leads:
        who = "、".join(names.get(d, d) for d in leads[code])
        return error(
            "task_not_led",
            f"任务 {code} 不由{department_name}牵头（牵头单位：{who}）",
            "只填报本单位牵头的任务；请删除该行，使用本单位本期的模板重新填报",
            found=quote(code),
            **at,
        )
    return error(
        "unknown_task",
        f"任务代码 {quote(code)} 不在重点任务目录中",
        "请不要修改“任务代码”列或插入行；" + _USE_TEMPLATE,
        found=quote(code),
        **at,
    )


def _check_row(
    task: TaskRow, cells: dict[str, Entry], statuses: tuple[str, ...], limit: int, period: Period | None
) -> tuple[TaskValue, list[Problem]]:
    problems: list[Problem] = []
    status_entry = cells.get("status")
    progress_entry = cells.get("progress")
    assert status_entry is not None
    for entry in (status_entry, progress_entry):
        if entry is None:
            continue
        at = {"sheet": entry.sheet, "cell": entry.cell, "element_code": task.task_code}
        if entry.formula_without_value:
            problems.append(
                error("formula_no_value", "单元格是公式，但没有计算结果", "请直接填写文字", found="（公式）", **at)
            )
        if entry.merged and entry.raw is not None:
            problems.append(error("merged_cell", "填报单元格被合并", "请取消合并单元格，每项任务单独填写", **at))
        if entry.hidden and entry.raw is not None:
            problems.append(error("hidden_cell", "填报内容位于被隐藏的行或列中", "请取消隐藏并核对后重新报送", **at))
    status = cell_text(status_entry.raw) or None
    at = {"sheet": status_entry.sheet, "cell": status_entry.cell, "element_code": task.task_code}
    if status is None:
        if period is not None and task.is_due_by(period.end):
            problems.append(
                error(
                    "required_blank",
                    f"任务 {task.number} 的完成时限（{task.deadline_text}）已过，推进状态为必填",
                    f"请从下拉列表中选择：{'、'.join(statuses)}",
                    **at,
                )
            )
    elif status not in statuses:
        problems.append(
            error(
                "unknown_status",
                f"任务 {task.number} 的推进状态“{quote(status)}”不在可选范围内",
                f"请从下拉列表中选择：{'、'.join(statuses)}",
                found=quote(status),
                **at,
            )
        )
    progress = None
    if progress_entry is not None:
        progress = cell_text(progress_entry.raw) or None
        if progress is not None and len(progress) > limit:
            problems.append(
                error(
                    "text_too_long",
                    f"任务 {task.number} 的进展情况过长（{len(progress)} 字，上限 {limit} 字）",
                    f"请精简到 {limit} 字以内；详细材料可另行报送",
                    sheet=progress_entry.sheet,
                    cell=progress_entry.cell,
                    element_code=task.task_code,
                    found=quote(progress),
                )
            )
    return TaskValue(task.task_code, status, progress, status_entry, progress_entry), problems
