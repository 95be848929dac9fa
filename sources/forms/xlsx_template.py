"""The .xlsx form a department fills in: blank, or pre-filled (demo data, planted defects).

The layout is the contract in `sources.forms.layout`: intake finds rows by the element code in
column B and reads identity from the very hidden metadata sheet, never by position. Everything a
department sees is Chinese; the sheet is protected so only the yellow input cells can be typed in.
"""

from __future__ import annotations

import io
import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from sources.forms import layout, printing
from sources.forms.spec import Assignment, FormRow, FormSpec
from sources.periods import Period

Value = Decimal | int | float | str | None

# Row positions on the data sheet (0-based). Readers must not rely on them; the tests and the
# report do, and they document the layout.
TITLE_ROW = 0
INFO_FIRST_ROW = 1  # 表号, 制定机关, 批准文号, 有效期至: label in column D, value in column E
UNIT_LINE_ROW = 5  # 填报单位：… (A:C) and 报告期：… (D:E)
HEADER_ROW = 6
CODE_ROW = 7
FIRST_DATA_ROW = 8
INFO_LABEL_COL = layout.COL_VALUE
INFO_VALUE_COL = layout.COL_NOTE

SAMPLE_MARK = "示例数据"
MISSING = "—"  # shown for an empty 批准文号 / 有效期至
INPUT_FILL = "#FFF2CC"  # light yellow: "type here"
BODY_FONT = "宋体"
TITLE_FONT = "黑体"
_LAST_COL = len(layout.COLUMN_LETTERS) - 1
_UNBOUNDED = 10**15  # validation bound when the catalogue sets none

# Workbook options: text never becomes a formula, URL or number; build in memory (no temp files,
# fixed zip timestamps). The default font is what Chinese Excel uses, with its column metrics.
_WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "in_memory": True,
    "default_format_properties": {"font_name": BODY_FONT, "font_size": 11, "font_scheme": "none", "font_charset": 134},
    "default_column_width": 72,
    "default_row_height": 18,
}


def write_xlsx_form(
    assignment: Assignment,
    period: Period,
    out: Path | BinaryIO,
    *,
    values: Mapping[str, Any] | None = None,
    signature: Mapping[str, str] | None = None,
    sample: bool = False,
) -> None:
    """Write the form for one department and period: blank when `values` is None.

    `values` is keyed by element code (a str value is written as text, as a department might type
    it), or on a task-report form by task code with a (status, progress text) pair; `signature` is
    keyed by the values of `layout.SIGNATURE_LABELS`. The same inputs always give the same bytes.
    A Path is replaced atomically, so a crash never leaves half a file.
    """
    data = render_xlsx_form(assignment, period, values=values, signature=signature, sample=sample)
    if isinstance(out, str | os.PathLike):
        write_bytes_atomic(Path(out), data)
    else:
        out.write(data)


def render_xlsx_form(
    assignment: Assignment,
    period: Period,
    *,
    values: Mapping[str, Any] | None = None,
    signature: Mapping[str, str] | None = None,
    sample: bool = False,
) -> bytes:
    """The workbook as bytes (see `write_xlsx_form`)."""
    form = assignment.form
    if form.layout_kind == layout.TASK_LAYOUT:  # the one place a layout kind picks its writer
        from sources.forms.task_template import check_task_values, write_task_sheet

        check_task_values(assignment, values or {})
        _check_keys(form, {}, signature or {})
    else:
        _check_keys(form, values or {}, signature or {})
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, _WORKBOOK_OPTIONS)
    workbook.set_properties(_properties(assignment, period, sample))
    styles = _Styles.build(workbook)
    sheet = workbook.add_worksheet(layout.DATA_SHEET)
    if form.layout_kind == layout.TASK_LAYOUT:
        write_task_sheet(workbook, sheet, styles, assignment, period, values or {}, signature or {}, sample)
    else:
        _write_data_sheet(sheet, styles, assignment, period, values or {}, signature or {}, sample)
    _write_meta_sheet(workbook.add_worksheet(layout.META_SHEET), meta_values(assignment, period, sample))
    workbook.close()
    return buffer.getvalue()


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it onto `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("xb") as handle:  # "x": never clobber; default mode honours the umask
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


REQUIRED_TEXT = "必填（不得留空，确为零填 0）"
OPTIONAL_TEXT = "选填（无数据时留空）"


def requirement_text(row: FormRow) -> str:
    """The 填报要求 text, agreeing with 填报说明 on blanks: '必填（不得留空，确为零填 0）；≥0 的整数'."""
    return f"{REQUIRED_TEXT if row.required else OPTIONAL_TEXT}；{_kind_text(row)}"


def submission_text(issuing_authority: str) -> str:
    """How to send the form back, in a clerk's words (no server paths: the clerk never sees one)."""
    return (
        f"报送方式：保持本文件为 .xlsx 格式、不要另存为其他格式或改动文件结构，按{issuing_authority}通知的方式报送"
        "（报表系统或指定的收件邮箱、共享文件夹）。"
    )


def number_format(decimals: int) -> str:
    if decimals <= 0:
        return "#,##0"
    if decimals <= 2:
        return "#,##0." + "0" * decimals
    return "0." + "0" * decimals  # densities such as 件/万人: no thousands separator


# --- styles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Styles:
    title: Format
    info_label: Format
    info_value: Format
    unit_line: Format
    header: Format
    code: Format
    name: Format
    element_code: Format  # a task code on task-report forms
    display_code: Format  # 01, 02 … on element forms
    unit: Format
    note: Format
    inputs: dict[int, Format]  # unit decimals -> unlocked input cell format
    sig_label: Format
    sig_input: Format
    instr_title: Format
    instr: Format

    @classmethod
    def build(cls, wb: xlsxwriter.Workbook) -> _Styles:
        border = {"border": 1, "valign": "vcenter"}
        return cls(
            title=wb.add_format({"font_name": TITLE_FONT, "font_size": 18, "align": "center", "valign": "vcenter"}),
            info_label=wb.add_format({"font_size": 10, "align": "right"}),
            info_value=wb.add_format({"font_size": 10}),
            unit_line=wb.add_format({"valign": "vcenter"}),
            header=wb.add_format({**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#F2F2F2"}),
            code=wb.add_format({**border, "align": "center", "bg_color": "#F2F2F2"}),
            name=wb.add_format({**border, "text_wrap": True}),
            element_code=wb.add_format({**border, "font_name": "Consolas", "font_size": 9, "font_color": "#595959"}),
            display_code=wb.add_format({**border, "align": "center"}),
            unit=wb.add_format({**border, "align": "center"}),
            note=wb.add_format({**border, "font_size": 10, "text_wrap": True}),
            inputs={d: _input_format(wb, number_format(d)) for d in (0, 1, 2, 3, 4)},
            sig_label=wb.add_format({"align": "right", "valign": "vcenter"}),
            sig_input=_input_format(wb, "@"),  # text: keeps a phone number's leading 0
            instr_title=wb.add_format({"bold": True, "font_size": 12}),
            instr=wb.add_format({"text_wrap": True, "valign": "top", "font_size": 10}),
        )


def _input_format(wb: xlsxwriter.Workbook, num_format: str) -> Format:
    return wb.add_format(
        {"border": 1, "valign": "vcenter", "locked": False, "bg_color": INPUT_FILL, "num_format": num_format}
    )


def _input_style(styles: _Styles, decimals: int) -> Format:
    return styles.inputs.get(decimals) or styles.inputs[4]


# --- data sheet -----------------------------------------------------------------------------


def _write_data_sheet(
    sheet: Worksheet,
    styles: _Styles,
    assignment: Assignment,
    period: Period,
    values: Mapping[str, Value],
    signature: Mapping[str, str],
    sample: bool,
) -> None:
    form = assignment.form
    widths = _column_widths(form)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    _write_heading(sheet, styles, assignment, period, sample)
    _write_table_head(sheet, styles)
    for index, row in enumerate(form.rows):
        _write_data_row(sheet, styles, FIRST_DATA_ROW + index, row, values.get(row.element.code))
    sig_row = FIRST_DATA_ROW + len(form.rows) + 1
    _write_signature(sheet, styles, sig_row, signature)
    instr_row = sig_row + _signature_height() + 1
    last_row = _write_instructions(sheet, styles, instr_row, _instructions(assignment, period, sample), sum(widths))
    _page_setup(sheet, last_row, sample)
    keep_signature_with_rows(sheet, widths, FIRST_DATA_ROW + len(form.rows) - 1, sig_row, last_row)


def _column_widths(form: FormSpec) -> list[float]:
    longest_name = max((len(r.element.name) for r in form.rows), default=8)
    return [
        min(max(2.2 * longest_name + 2, 24), 56),  # CJK characters are about two digits wide
        8,  # 代码: 01, 02 …
        14,
        16,
        36,
    ]


def _write_heading(
    sheet: Worksheet, styles: _Styles, a: Assignment, period: Period, sample: bool, last_col: int = _LAST_COL
) -> None:
    form = a.form
    title = f"{form.name}（{SAMPLE_MARK}）" if sample else form.name
    sheet.set_row(TITLE_ROW, 36)
    sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last_col, title, styles.title)
    info = (
        ("表号：", form.table_no),
        ("制定机关：", form.issuing_authority),
        ("批准文号：", form.approval_no or MISSING),
        ("有效期至：", form.valid_until or MISSING),
    )
    for offset, (label, text) in enumerate(info):
        sheet.write_string(INFO_FIRST_ROW + offset, INFO_LABEL_COL, label, styles.info_label)
        sheet.write_string(INFO_FIRST_ROW + offset, INFO_VALUE_COL, text, styles.info_value)
    sheet.set_row(UNIT_LINE_ROW, 22)
    sheet.merge_range(UNIT_LINE_ROW, 0, UNIT_LINE_ROW, 2, f"填报单位：{a.department_name}", styles.unit_line)
    sheet.merge_range(UNIT_LINE_ROW, 3, UNIT_LINE_ROW, last_col, f"报告期：{period.label}", styles.unit_line)


def _write_table_head(sheet: Worksheet, styles: _Styles) -> None:
    sheet.set_row(HEADER_ROW, 24)
    for col, label in enumerate(layout.HEADER_LABELS):
        sheet.write_string(HEADER_ROW, col, label, styles.header)
    for col, label in enumerate(layout.CODE_ROW_LABELS):
        sheet.write_string(CODE_ROW, col, label, styles.code)


def _write_data_row(sheet: Worksheet, styles: _Styles, r: int, row: FormRow, value: Value) -> None:
    sheet.set_row(r, 20)
    sheet.write_string(r, layout.COL_NAME, row.element.name, styles.name)
    sheet.write_string(r, layout.COL_CODE, layout.display_code(row.row_no), styles.display_code)
    sheet.write_string(r, layout.COL_UNIT, row.unit.name, styles.unit)
    _write_value(sheet, r, value, _input_style(styles, row.unit.decimals))
    sheet.write_string(r, layout.COL_NOTE, requirement_text(row), styles.note)
    sheet.data_validation(r, layout.COL_VALUE, r, layout.COL_VALUE, _validation(row))


def _write_value(sheet: Worksheet, r: int, value: Value, style: Format) -> None:
    col = layout.COL_VALUE
    if value is None:
        sheet.write_blank(r, col, None, style)
    elif isinstance(value, str):
        sheet.write_string(r, col, value, style)  # a defect as typed ("约100", "=1+1"): stays text
    else:
        sheet.write_number(r, col, _number(value), style)


def _number(value: Decimal | int | float) -> int | float:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise TypeError(f"不支持的数值类型：{type(value).__name__}")
    if isinstance(value, int):
        return value
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"数值不是有限数：{value}")
    return number


def _signature_height() -> int:
    return len(layout.SIGNATURE_LABELS)


def _write_signature(sheet: Worksheet, styles: _Styles, first_row: int, signature: Mapping[str, str]) -> None:
    """One pair a line: label in C, input in D. Column B stays empty below the data rows, where
    intake looks for element codes, so nothing typed here can pass for a code."""
    label_col, input_col = layout.COL_UNIT, layout.COL_VALUE
    for i, (label, key) in enumerate(layout.SIGNATURE_LABELS.items()):
        r = first_row + i
        sheet.set_row(r, 22)
        sheet.write_string(r, label_col, label, styles.sig_label)
        text = signature.get(key)
        if text:
            sheet.write_string(r, input_col, str(text), styles.sig_input)
        else:
            sheet.write_blank(r, input_col, None, styles.sig_input)


def _write_instructions(
    sheet: Worksheet, styles: _Styles, first_row: int, lines: list[str], width: float, last_col: int = _LAST_COL
) -> int:
    """Write the 填报说明 section; return its last row."""
    sheet.write_string(first_row, 0, layout.INSTRUCTIONS_TITLE, styles.instr_title)
    for i, text in enumerate(lines, start=1):
        r = first_row + i
        item = f"{i}. {text}"
        # Merged cells are never fitted automatically: size the row for its 10-point lines.
        sheet.set_row(r, printing.row_height(printing.text_lines(item, width, font_scale=10 / 11), line_points=13.5))
        sheet.merge_range(r, 0, r, last_col, item, styles.instr)
    return first_row + len(lines)


def _instructions(a: Assignment, period: Period, sample: bool) -> list[str]:
    form = a.form
    due = period.due(form.due_days)
    lines = [
        f"本表由{a.department_name}填报，报告期为{period.label}"
        f"（{_date_text(period.start)}至{_date_text(period.end)}）。",
        "只在黄色单元格内填写；其他单元格已锁定，不需要也不能修改。",
        "数值按丙栏（C列）的计量单位填写，例如计量单位为“万元”时填 12.5 表示 12.5 万元，不要换算成元；"
        "单元格内只填数字，不要加单位、文字或空格。",
        "件数、家数、人数、次数等计数指标填整数；金额、比率等按填报要求保留小数位数。",
        "填报要求为“必填”的指标不得留空，确实为零时填 0；为“选填”的指标不清楚或暂时没有数据时请留空，不要填 0。",
        "请勿插入、删除或移动行列，不要修改指标名称、代码（乙栏）和隐藏的工作表，否则系统无法读取本表。",
        f"报送截止日期：{_date_text(due)}（报告期结束后 {form.due_days} 天内）。",
        submission_text(form.issuing_authority),
        "系统读取后会出具回执，列明已接收的数据和需要核实的问题；如需更正，请修改后重新报送整张表。",
    ]
    if sample:
        lines.insert(0, f"本文件为{SAMPLE_MARK}，仅供演示和测试，不得作为正式统计数据使用或报送。")
    return lines


def _date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


MARGIN_SIDES = 0.5  # inches
MARGIN_TOP_BOTTOM = 0.75


def keep_signature_with_rows(
    sheet: Worksheet, widths: list[float], last_data: int, sig_row: int, last_row: int
) -> None:
    """A manual page break so the signature block is never split across pages nor printed under a
    repeated header with no rows: the last data row moves with it when it would be left alone. The
    填报说明 go with them when they fit; when they do not, only the signature block is kept whole."""
    scale = printing.print_scale(widths, MARGIN_SIDES)
    capacity = printing.body_points(MARGIN_TOP_BOTTOM) / scale
    heights = printing.row_heights(sheet, last_row)
    header = range(HEADER_ROW, CODE_ROW + 1)
    again = sum(heights[r] for r in header)
    sig_end = sig_row + _signature_height() - 1
    block_end = last_row if again + sum(heights[last_data : last_row + 1]) <= capacity else sig_end
    breaks = printing.page_breaks(heights, header, last_data, block_end, capacity)
    if breaks:
        sheet.set_h_pagebreaks(breaks)


def _page_setup(sheet: Worksheet, last_row: int, sample: bool, last_col: int = _LAST_COL) -> None:
    sheet.protect("", {"format_columns": True, "format_rows": True})  # widen columns, never add rows
    sheet.freeze_panes(FIRST_DATA_ROW, 0)
    sheet.hide_gridlines(2)
    sheet.set_paper(9)  # A4
    sheet.set_landscape()  # five columns with long Chinese names read better across the page
    sheet.fit_to_pages(1, 0)
    sheet.center_horizontally()
    sheet.set_margins(left=MARGIN_SIDES, right=MARGIN_SIDES, top=MARGIN_TOP_BOTTOM, bottom=MARGIN_TOP_BOTTOM)
    sheet.repeat_rows(HEADER_ROW, CODE_ROW)
    sheet.print_area(0, 0, last_row, last_col)
    if sample:
        sheet.set_header(f"&C&14{SAMPLE_MARK}（不得作为正式统计数据）")
    sheet.set_footer(f"&L{SAMPLE_MARK}&C第 &P 页，共 &N 页" if sample else "&C第 &P 页，共 &N 页")
    sheet.activate()


# --- validation and texts ---------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _range_text(low: Decimal | None, high: Decimal | None) -> str:
    if low is not None and high is not None:
        return f"{_plain(low)}–{_plain(high)}"
    if low is not None:
        return f"≥{_plain(low)}"
    if high is not None:
        return f"≤{_plain(high)}"
    return ""


def _kind_text(row: FormRow) -> str:
    bounds = _range_text(row.element.min_value, row.element.max_value)
    if row.is_count:
        return f"{bounds} 的整数" if bounds else "整数"
    decimals = f"保留{row.unit.decimals}位小数" if row.unit.decimals else ""
    return "，".join(part for part in (bounds, decimals) if part) or "数值"


def _bound(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _criteria(low: Decimal | None, high: Decimal | None) -> dict[str, Any]:
    if low is not None and high is not None:
        return {"criteria": "between", "minimum": _bound(low), "maximum": _bound(high)}
    if low is not None:
        return {"criteria": ">=", "value": _bound(low)}
    if high is not None:
        return {"criteria": "<=", "value": _bound(high)}
    return {"criteria": "between", "minimum": -_UNBOUNDED, "maximum": _UNBOUNDED}


def _validation(row: FormRow) -> dict[str, Any]:
    element, unit = row.element, row.unit
    kind = _kind_text(row)
    return {
        "validate": "integer" if row.is_count else "decimal",
        **_criteria(element.min_value, element.max_value),
        "ignore_blank": True,
        "input_title": f"计量单位：{unit.name}"[:32],
        "input_message": f"{requirement_text(row)}。"[:255],
        "error_type": "stop",
        "error_title": "填写的数值不符合要求"[:32],
        "error_message": (
            f"“{element.name}”应填{kind}，计量单位为{unit.name}。只填数字，不要带单位或文字"
            + ("。" if row.required else "；不清楚时请留空。")
        )[:255],
    }


# --- metadata ---------------------------------------------------------------------------------


def meta_values(a: Assignment, period: Period, sample: bool) -> dict[str, str]:
    """The metadata sheet's pairs, in `layout.META_KEYS` order, checksum included."""
    meta = {
        "form_code": a.form.code,
        "template_version": str(a.form.template_version),
        "region_code": a.region_code,
        "department_code": a.department_code,
        "period": period.code,
        "sample": "1" if sample else "0",
    }
    keys = list(layout.META_KEYS)
    if a.form.layout_kind != layout.ELEMENT_LAYOUT:
        meta[layout.META_LAYOUT_KEY] = a.form.layout_kind
        keys.insert(keys.index("checksum"), layout.META_LAYOUT_KEY)
    meta["checksum"] = layout.meta_checksum(meta, a.row_codes)
    return {key: meta[key] for key in keys}


def _write_meta_sheet(sheet: Worksheet, meta: Mapping[str, str]) -> None:
    for r, (key, value) in enumerate(meta.items()):
        sheet.write_string(r, 0, key)
        sheet.write_string(r, 1, value)
    sheet.set_column(0, 1, 20)
    sheet.protect()
    sheet.very_hidden()


def _properties(a: Assignment, period: Period, sample: bool) -> dict[str, Any]:
    form = a.form
    mark = f"（{SAMPLE_MARK}）" if sample else ""
    return {
        "title": f"{form.name}（{period.label}）{mark}",
        "subject": f"{form.table_no} {form.name}",
        "author": form.issuing_authority,
        "company": form.issuing_authority,
        "keywords": f"{form.code}, {period.code}, {a.department_code}" + (f", {SAMPLE_MARK}" if sample else ""),
        "comments": f"模板版本 {form.template_version}；由知识产权统计数据系统生成",
        # Fixed, not now(): the same inputs must give the same bytes.
        "created": datetime.combine(period.end, time(0, 0)),
    }


def _check_keys(form: FormSpec, values: Mapping[str, Value], signature: Mapping[str, str]) -> None:
    unknown = sorted(set(values) - set(form.element_codes))
    if unknown:
        raise ValueError(f"《{form.name}》没有这些指标：{'、'.join(unknown)}")
    known = set(layout.SIGNATURE_LABELS.values())
    unknown = sorted(set(signature) - known)
    if unknown:
        raise ValueError(f"未知的签署栏：{'、'.join(unknown)}（可用：{'、'.join(sorted(known))}）")
