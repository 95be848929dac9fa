"""The task-report form (重点任务推进情况季报): one row per key task the department leads.

Same conventions as the element forms (`sources.forms.xlsx_template`): title, 表号 block, code
row, signature block, 填报说明, a very hidden metadata sheet with a checksum over the task codes,
and a protected sheet where only the yellow 推进状态 (dropdown from task_statuses.csv) and
进展情况 (length-limited text) cells can be typed in. Intake finds rows by the task code in
column B (`layout.TASK_LAYOUT`), never by position.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from sources.forms import layout
from sources.forms.spec import Assignment, TaskRow
from sources.forms.xlsx_template import (
    CODE_ROW,
    FIRST_DATA_ROW,
    HEADER_ROW,
    SAMPLE_MARK,
    _date_text,
    _input_format,
    _page_setup,
    _signature_height,
    _Styles,
    _write_heading,
    _write_instructions,
    _write_signature,
    keep_signature_with_rows,
    submission_text,
)
from sources.periods import Period

TaskValue = tuple[str | None, str | None]  # (推进状态, 进展情况) as typed
LAST_COL = len(layout.TASK_COLUMN_LETTERS) - 1
WIDTHS = (22, 24, 44, 12, 14, 50)


def check_task_values(a: Assignment, values: Mapping[str, Any]) -> None:
    """Pre-filled values must be keyed by a task this department leads, each a (status, text) pair."""
    unknown = sorted(set(values) - set(a.row_codes))
    if unknown:
        raise ValueError(f"{a.department_name}不牵头这些任务：{'、'.join(unknown)}")
    for code, pair in values.items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"任务 {code} 的填报值应为 (推进状态, 进展情况)，收到 {pair!r}")


def abbreviate(text: str, limit: int = layout.TASK_CONTENT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_task_sheet(
    workbook: xlsxwriter.Workbook,
    sheet: Worksheet,
    styles: _Styles,
    a: Assignment,
    period: Period,
    values: Mapping[str, TaskValue],
    signature: Mapping[str, str],
    sample: bool,
) -> None:
    for col, width in enumerate(WIDTHS):
        sheet.set_column(col, col, width)
    _write_heading(sheet, styles, a, period, sample, LAST_COL)
    sheet.set_row(HEADER_ROW, 24)
    for col, label in enumerate(layout.TASK_HEADER_LABELS):
        sheet.write_string(HEADER_ROW, col, label, styles.header)
    for col, label in enumerate(layout.TASK_CODE_ROW_LABELS):
        sheet.write_string(CODE_ROW, col, label, styles.code)
    text_input = _input_format(workbook, "@")
    text_input.set_text_wrap()
    text_input.set_align("top")
    for index, task in enumerate(a.tasks):
        _write_task_row(sheet, styles, text_input, FIRST_DATA_ROW + index, a, period, task, values.get(task.task_code))
    sig_row = FIRST_DATA_ROW + len(a.tasks) + 1
    _write_signature(sheet, styles, sig_row, signature)
    instr_row = sig_row + _signature_height() + 1
    last_row = _write_instructions(sheet, styles, instr_row, _instructions(a, period, sample), sum(WIDTHS), LAST_COL)
    _page_setup(sheet, last_row, sample, LAST_COL)
    keep_signature_with_rows(sheet, list(WIDTHS), FIRST_DATA_ROW + len(a.tasks) - 1, sig_row, last_row)


def _write_task_row(
    sheet: Worksheet,
    styles: _Styles,
    text_input: Any,
    r: int,
    a: Assignment,
    period: Period,
    task: TaskRow,
    value: TaskValue | None,
) -> None:
    form = a.form
    status, progress = value or (None, None)
    sheet.set_row(r, 48)
    sheet.write_string(r, layout.TASK_COL_GROUP, f"{task.task_group_no}. {task.task_group}", styles.name)
    sheet.write_string(r, layout.TASK_COL_CODE, task.task_code, styles.element_code)
    label = f"{task.number} {task.title}：" if task.title else f"{task.number} "
    sheet.write_string(r, layout.TASK_COL_CONTENT, abbreviate(label + task.content), styles.name)
    sheet.write_string(r, layout.TASK_COL_DEADLINE, task.deadline_text or "未规定", styles.unit)
    for col, text in ((layout.TASK_COL_STATUS, status), (layout.TASK_COL_PROGRESS, progress)):
        if text:
            sheet.write_string(r, col, text, text_input)
        else:
            sheet.write_blank(r, col, None, text_input)
    required = task.is_due_by(period.end)
    options = "、".join(form.status_names)
    sheet.data_validation(
        r,
        layout.TASK_COL_STATUS,
        r,
        layout.TASK_COL_STATUS,
        {
            "validate": "list",
            "source": list(form.status_names),
            "ignore_blank": True,
            "input_title": ("必填：请选择推进状态" if required else "请选择推进状态")[:32],
            "input_message": (
                f"完成时限（{task.deadline_text}）已过，必须填报。" if required else "完成时限未到，可选填。"
            )
            + f"可选：{options}"[:200],
            "error_type": "stop",
            "error_title": "推进状态不在可选范围内"[:32],
            "error_message": f"请从下拉列表中选择：{options}"[:255],
        },
    )
    limit = form.progress_max_chars or 500
    sheet.data_validation(
        r,
        layout.TASK_COL_PROGRESS,
        r,
        layout.TASK_COL_PROGRESS,
        {
            "validate": "length",
            "criteria": "<=",
            "value": limit,
            "ignore_blank": True,
            "input_title": "进展情况"[:32],
            "input_message": f"简述本季度推进情况、主要成效和存在问题，不超过 {limit} 字。"[:255],
            "error_type": "stop",
            "error_title": "进展情况过长"[:32],
            "error_message": f"进展情况不超过 {limit} 字，请精简后填写。"[:255],
        },
    )


def _instructions(a: Assignment, period: Period, sample: bool) -> list[str]:
    form = a.form
    due = period.due(form.due_days)
    limit = form.progress_max_chars or 500
    lines = [
        f"本表由{a.department_name}填报，报告期为{period.label}"
        f"（{_date_text(period.start)}至{_date_text(period.end)}），列出本单位牵头的全部 {len(a.tasks)} 项重点任务。",
        "只在黄色单元格内填写；其他单元格已锁定，不需要也不能修改。",
        f"推进状态（E列）从下拉列表中选择：{'、'.join(form.status_names)}。完成时限已过的任务必须填报推进状态。",
        f"进展情况（F列）简述本季度推进情况、主要成效和存在问题，不超过 {limit} 字。",
        "请勿插入、删除或移动行列，不要修改任务代码（乙栏）和隐藏的工作表，否则系统无法读取本表。",
        f"报送截止日期：{_date_text(due)}（报告期结束后 {form.due_days} 天内）。",
        submission_text(form.issuing_authority),
        "系统读取后会出具回执；如需更正，请修改后重新报送整张表，以最后接收的版本为准。",
    ]
    if sample:
        lines.insert(0, f"本文件为{SAMPLE_MARK}，仅供演示和测试，不得作为正式统计数据使用或报送。")
    return lines
