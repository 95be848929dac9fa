"""The one writer: renders any return definition to an .xlsx statistical form.

Sheets: the return itself (title, 表号/制定机关/批准文号/有效期至 block, 填报单位 and 计量单位 line,
header and code rows, the table, the signature block and 说明), a chart sheet for plan returns, the
数据来源 sheet and, for a correction, 更正说明. Text never becomes a formula, URL or number; the same
inputs give the same bytes (fixed document properties, fixed zip timestamps, no clock).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from reports.charts import write_chart_sheet
from reports.sources import Row, SourceResult
from reports.spec import Column, ReturnDefinition
from reports.trace import TraceRow
from sources.forms import layout, printing
from sources.forms.printing import display_width, row_height, text_lines
from sources.forms.xlsx_template import BODY_FONT, MISSING, SAMPLE_MARK, TITLE_FONT, number_format

MAX_CELL_CHARS = 32_767
TRUNCATED = "…（超长已截断）"
NONE_TEXT = "—"

TITLE_ROW = 0
INFO_FIRST_ROW = 1
UNIT_LINE_ROW = 5
HEADER_ROW = 6
CODE_ROW = 7
FIRST_DATA_ROW = 8
MARGIN_SIDES = 0.4  # inches
MARGIN_TOP_BOTTOM = 0.75
TRACE_SHEET = "数据来源"
CHART_SHEET = "趋势图"
CHANGES_SHEET = "更正说明"

WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "in_memory": True,  # fixed zip timestamps (1980-01-01), no temporary files
    "default_format_properties": {"font_name": BODY_FONT, "font_size": 11, "font_scheme": "none", "font_charset": 134},
    "default_column_width": 72,
    "default_row_height": 18,
}

TRACE_HEADERS = (
    ("项目", 34),
    ("报告期", 9),
    ("数据元", 24),
    ("区划", 10),
    ("来源", 9),
    ("报送单位", 26),
    ("报表", 26),
    ("报送编号", 26),
    ("版本", 6),
    ("数据期", 9),
    ("单元格", 16),
    ("文件 SHA-256", 30),
    ("接收时间", 18),
)
TRACE_SHA_COL = 11
TRACE_SHA_SCALE = 0.75  # 8-point Consolas digits against the 11-point column unit
CHANGE_HEADERS = (("项目", 34), ("栏次", 24), ("原报数值", 14), ("更正后数值", 14), ("增减", 12), ("原因", 60))


@dataclass(frozen=True)
class Change:
    row_label: str
    column: str
    before: str
    after: str
    delta: str
    reason: str


@dataclass
class RenderInput:
    definition: ReturnDefinition
    result: SourceResult
    period_label: str
    title: str
    issuer: str
    reporting_unit: str
    notes: list[str]
    traces: list[TraceRow]
    created: datetime
    version: int
    percent_decimals: int
    status_colours: dict[str, str]
    target_paths: dict[str, str]
    changes: list[Change] | None = None  # None: first version; a list (maybe empty) for a correction
    headers: list[str] = field(default_factory=list)  # column headers with placeholders filled


def safe_text(value: object) -> str:
    """Text as written into a cell: never longer than Excel allows."""
    text = str(value)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - len(TRUNCATED)] + TRUNCATED
    return text


def safe_sheet_name(name: str) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'")
    return cleaned[:31] or "Sheet"


def render(ri: RenderInput) -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    wb.set_properties(_properties(ri))
    wb.set_calc_mode("manual")  # nothing to calculate: no formulas anywhere
    styles = _Styles(wb, ri.status_colours)
    main = wb.add_worksheet(safe_sheet_name(ri.definition.sheet_name))
    _write_main(main, styles, ri)
    if ri.definition.chart and ri.result.series:
        write_chart_sheet(
            wb,
            wb.add_worksheet(CHART_SHEET),
            ri.result.series,
            ri.target_paths,
            title=f"{ri.title}·趋势图",
            sample=ri.result.sample,
            header_format=styles.header,
            cell_format=styles.cell,
            title_format=styles.title,
            mark_format=styles.mark,
        )
    _write_trace_sheet(wb.add_worksheet(TRACE_SHEET), styles, ri)
    if ri.changes is not None:
        _write_changes_sheet(wb.add_worksheet(CHANGES_SHEET), styles, ri)
    main.activate()
    wb.close()
    return buffer.getvalue()


# --- styles -----------------------------------------------------------------------------------------


class _Styles:
    def __init__(self, wb: xlsxwriter.Workbook, colours: dict[str, str]) -> None:
        border = {"border": 1, "valign": "vcenter"}
        self.wb = wb
        self.title = wb.add_format({"font_name": TITLE_FONT, "font_size": 18, "align": "center", "valign": "vcenter"})
        self.mark = wb.add_format({"bold": True, "font_color": "#C00000", "font_size": 12})
        self.info_label = wb.add_format({"font_size": 10, "align": "right"})
        self.info_value = wb.add_format({"font_size": 10})
        self.unit_line = wb.add_format({"valign": "vcenter"})
        self.unit_line_right = wb.add_format({"valign": "vcenter", "align": "right"})
        self.header = wb.add_format(
            {**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#F2F2F2"}
        )
        self.code = wb.add_format({**border, "align": "center", "bg_color": "#F2F2F2"})
        self.cell = wb.add_format({**border, "text_wrap": True})
        self.center = wb.add_format({**border, "align": "center", "text_wrap": True})
        self.group = wb.add_format({**border, "bold": True, "bg_color": "#F7F7F7"})
        self.total = wb.add_format({**border, "bold": True, "align": "center"})
        self.sig = wb.add_format({"valign": "vcenter"})
        self.notes_title = wb.add_format({"bold": True, "font_size": 12})
        self.note = wb.add_format({"text_wrap": True, "valign": "top", "font_size": 10})
        self._numbers: dict[tuple[int, bool, bool], Format] = {}
        self._status = {
            text: wb.add_format({**border, "align": "center", "font_color": colour, "bold": True})
            for text, colour in sorted(colours.items())
        }
        self.date = wb.add_format({**border, "align": "center", "num_format": "yyyy-mm-dd"})
        self.datetime = wb.add_format({**border, "align": "center", "num_format": "yyyy-mm-dd hh:mm"})
        self.mono = wb.add_format({**border, "font_name": "Consolas", "font_size": 8, "text_wrap": True})
        self.alert = wb.add_format({**border, "align": "center", "font_color": "#C00000", "bold": True})
        self.year = wb.add_format({**border, "align": "center", "num_format": "0"})

    def number(self, decimals: int, bold: bool = False, center: bool = False) -> Format:
        key = (decimals, bold, center)
        if key not in self._numbers:
            self._numbers[key] = self.wb.add_format(
                {
                    "border": 1,
                    "valign": "vcenter",
                    "num_format": number_format(decimals),
                    "bold": bold,
                    **({"align": "center"} if center else {}),
                }
            )
        return self._numbers[key]

    def status(self, text: str) -> Format | None:
        return self._status.get(text)


# --- main sheet -------------------------------------------------------------------------------------


def _write_main(sheet: Worksheet, st: _Styles, ri: RenderInput) -> None:
    d = ri.definition
    columns = d.columns
    last = len(columns) - 1
    for col, column in enumerate(columns):
        sheet.set_column(col, col, column.width)
    title = f"{ri.title}（{SAMPLE_MARK}）" if ri.result.sample else ri.title
    sheet.set_row(TITLE_ROW, 36)
    sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last, safe_text(title), st.title)
    if ri.result.sample:
        sheet.write_string(INFO_FIRST_ROW, 0, f"{SAMPLE_MARK}：仅供演示和测试，不得作为正式统计数据报送", st.mark)
    info = (
        ("表号：", d.table_no),
        ("制定机关：", ri.issuer or MISSING),
        ("批准文号：", d.approval_no or MISSING),
        ("有效期至：", d.valid_until or MISSING),
    )
    label_col = _info_label_col([c.width for c in columns], max(display_width(t or "") for _, t in info))
    for offset, (label, text) in enumerate(info):
        r = INFO_FIRST_ROW + offset
        sheet.write_string(r, label_col, label, st.info_label)
        _merge(sheet, r, label_col + 1, last, safe_text(text), st.info_value)
    sheet.set_row(UNIT_LINE_ROW, 22)
    third = max(len(columns) // 3, 1)
    _merge(sheet, UNIT_LINE_ROW, 0, third - 1, f"填报单位：{ri.reporting_unit}", st.unit_line)
    _merge(sheet, UNIT_LINE_ROW, third, 2 * third - 1, f"报告期：{ri.period_label}", st.unit_line)
    _merge(sheet, UNIT_LINE_ROW, 2 * third, last, d.unit_line, st.unit_line_right)
    sheet.set_row(HEADER_ROW, 36)
    for col, (column, header) in enumerate(zip(columns, ri.headers, strict=True)):
        sheet.write_string(HEADER_ROW, col, safe_text(header), st.header)
        sheet.write_string(CODE_ROW, col, column.code, st.code)
    r = FIRST_DATA_ROW
    group: object = object()
    headings: set[int] = set()
    for row in ri.result.rows:
        if d.group_column and row.get(d.group_column) != group:
            group = row.get(d.group_column)
            _merge(sheet, r, 0, last, safe_text(group if group is not None else NONE_TEXT), st.group)
            sheet.set_row(r, 20)
            headings.add(r)
            r += 1
        _write_row(sheet, st, r, row, columns, ri.percent_decimals)
        r += 1
    if not ri.result.rows:
        _merge(sheet, r, 0, last, "本期无数据", st.center)
        sheet.set_row(r, 20)
        r += 1
    last_data = r - 1
    sig_row = r + 1
    _write_signature(sheet, st, sig_row, len(columns))
    notes_row = sig_row + 2
    end = _write_notes(sheet, st, notes_row, ri.notes, sum(c.width for c in columns), last)
    _page_setup(sheet, end, last, ri.result.sample)
    _keep_block_with_rows(sheet, [c.width for c in columns], last_data, end, headings)


def _info_label_col(widths: list[float], longest: float) -> int:
    """The column of the 表号/制定机关 labels: far enough left that the longest value fits beside it."""
    last = len(widths) - 1
    col = max(last - 2, 1)
    while col > 1 and sum(widths[col + 1 :]) < longest + 2:
        col -= 1
    return col


def _keep_block_with_rows(sheet: Worksheet, widths: list[float], last_data: int, end: int, headings: set[int]) -> None:
    """A manual page break so the signature and 说明 never print alone under a repeated header."""
    scale = printing.print_scale(widths, MARGIN_SIDES)
    capacity = printing.body_points(MARGIN_TOP_BOTTOM) / scale
    heights = printing.row_heights(sheet, end)
    breaks = printing.page_breaks(heights, range(HEADER_ROW, CODE_ROW + 1), last_data, end, capacity)
    # A group heading never ends a page: it goes with its rows.
    breaks = [at - 1 if at - 1 in headings else at for at in breaks]
    if breaks:
        sheet.set_h_pagebreaks(breaks)


def _merge(sheet: Worksheet, row: int, first: int, last: int, text: str, fmt: Format) -> None:
    if last > first:
        sheet.merge_range(row, first, row, last, text, fmt)
    else:
        sheet.write_string(row, first, text, fmt)


def _write_row(sheet: Worksheet, st: _Styles, r: int, row: Row, columns: Sequence[Column], pct: int) -> None:
    total = bool(row.get("_total"))
    for col, column in enumerate(columns):
        write_value(
            sheet,
            st,
            r,
            col,
            row.get(column.key),
            column.kind,
            int(row.get("_decimals") or 0),
            pct,
            total,
            center=not column.code.isdigit() or column.width <= 12,
            alert_on=column.alert_on,
        )
    lines = max((text_lines(row.get(c.key), c.width) for c in columns if c.kind == "text"), default=1)
    sheet.set_row(r, row_height(lines, minimum=20))


def write_value(
    sheet: Worksheet,
    st: _Styles,
    r: int,
    c: int,
    value: object,
    kind: str,
    decimals: int,
    pct: int,
    bold: bool = False,
    *,
    center: bool = False,
    alert_on: str | None = None,
) -> None:
    if value is None or (isinstance(value, str) and value == ""):
        sheet.write_string(r, c, NONE_TEXT, st.center)
        return
    if kind in ("value", "pct", "count") and isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        places = {"value": decimals, "pct": pct, "count": 0}[kind]
        number = float(round(Decimal(value), places)) if isinstance(value, Decimal) else float(value)
        sheet.write_number(r, c, number, st.number(places, bold, center))
        return
    if kind == "flag" or isinstance(value, bool):
        text = "是" if value else "否"
        sheet.write_string(r, c, text, st.alert if text == alert_on else st.center)
        return
    if kind == "year" and isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        sheet.write_number(r, c, int(value), st.year)
        return
    if isinstance(value, datetime):
        sheet.write_datetime(r, c, value, st.datetime)
        return
    if isinstance(value, date):
        sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), st.date)
        return
    text = safe_text(value)
    style = st.status(text) or (st.total if bold else (st.center if center or kind != "text" else st.cell))
    sheet.write_string(r, c, text, style)


def _write_signature(sheet: Worksheet, st: _Styles, r: int, ncols: int) -> None:
    """One line: 单位负责人： 统计负责人： 填表人： 联系电话： 报出日期： (signed by hand on the print)."""
    labels = list(layout.SIGNATURE_LABELS)
    sheet.set_row(r, 24)
    per = ncols / len(labels)
    for i, label in enumerate(labels):
        first, last = round(i * per), round((i + 1) * per) - 1
        text = f"{label}　　年　月　日" if label.startswith("报出日期") else f"{label}"
        _merge(sheet, r, first, max(first, last), text, st.sig)


def _write_notes(sheet: Worksheet, st: _Styles, first_row: int, notes: list[str], width: float, last: int) -> int:
    sheet.write_string(first_row, 0, "说明：", st.notes_title)
    for i, text in enumerate(notes, start=1):
        r = first_row + i
        item = safe_text(f"{i}. {text}")
        sheet.set_row(r, note_height(item, width))
        _merge(sheet, r, 0, last, item, st.note)
    return first_row + len(notes)


def note_height(text: str, width: float) -> float:
    """Height of a merged 10-point note across `width`: merged cells are never fitted automatically."""
    return row_height(text_lines(text, width, font_scale=10 / 11), minimum=16, line_points=13.5)


def _page_setup(sheet: Worksheet, last_row: int, last_col: int, sample: bool) -> None:
    sheet.freeze_panes(FIRST_DATA_ROW, 0)
    sheet.hide_gridlines(2)
    sheet.set_paper(9)  # A4
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.center_horizontally()
    sheet.set_margins(left=MARGIN_SIDES, right=MARGIN_SIDES, top=MARGIN_TOP_BOTTOM, bottom=MARGIN_TOP_BOTTOM)
    sheet.repeat_rows(HEADER_ROW, CODE_ROW)
    sheet.print_area(0, 0, last_row, last_col)
    _header_footer(sheet, sample)


def _header_footer(sheet: Worksheet, sample: bool) -> None:
    if sample:
        sheet.set_header(f"&C&14{SAMPLE_MARK}（不得作为正式统计数据）")
    sheet.set_footer(f"&L{SAMPLE_MARK}&C第 &P 页，共 &N 页" if sample else "&C第 &P 页，共 &N 页")


# --- 数据来源 and 更正说明 ----------------------------------------------------------------------------


def _table_sheet(
    sheet: Worksheet, st: _Styles, title: str, headers: Sequence[tuple[str, float]], sample: bool, intro: str
) -> int:
    last = len(headers) - 1
    for col, (_, width) in enumerate(headers):
        sheet.set_column(col, col, width)
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, last, safe_text(f"{title}（{SAMPLE_MARK}）" if sample else title), st.title)
    _merge(sheet, 1, 0, last, safe_text(intro), st.note)
    sheet.set_row(1, note_height(intro, sum(width for _, width in headers)))
    row = 2
    if sample:
        sheet.write_string(row, 0, f"{SAMPLE_MARK}：仅供演示和测试，不得作为正式统计数据报送", st.mark)
        row += 1
    for col, (label, _) in enumerate(headers):
        sheet.write_string(row, col, label, st.header)
    sheet.set_row(row, row_height(max(text_lines(label, width) for label, width in headers), minimum=20))
    sheet.freeze_panes(row + 1, 0)
    sheet.repeat_rows(row, row)
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.75)
    _header_footer(sheet, sample)
    return row


def _write_trace_sheet(sheet: Worksheet, st: _Styles, ri: RenderInput) -> None:
    intro = ri.definition.trace_intro or (
        "本表逐项列明报表中每个数值所依据的部门报送（仅最新已接收版本）：报送单位、报表、报送编号、版本、"
        "单元格、文件 SHA-256 与接收时间；来源为“专利明细”的数值取自专利明细数据文件。"
    )
    head = _table_sheet(sheet, st, f"{ri.title}·数据来源", TRACE_HEADERS, ri.result.sample, intro)
    r = head + 1
    widths = [width for _, width in TRACE_HEADERS]
    for t in ri.traces:
        values = (
            t.label,
            t.figure_period,
            f"{t.element_name}（{t.element_code}）",
            t.region_name,
            t.value_source,
            t.department,
            t.form,
            t.submission_id,
            t.version,
            t.data_period,
            t.cells,
            t.file_sha256,
            t.received_at,
        )
        for c, value in enumerate(values):
            if c == TRACE_SHA_COL:
                sheet.write_string(r, c, safe_text(value), st.mono)
            else:
                write_value(sheet, st, r, c, value, "count" if c == 8 else "text", 0, 2, center=c == 8)
        # Every cell wraps, and LibreOffice prints a row at the height it is given: fit the tallest cell.
        lines = [
            text_lines(_shown(v), w, font_scale=TRACE_SHA_SCALE if c == TRACE_SHA_COL else 1.0)
            for c, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        sheet.set_row(r, row_height(max(lines)))
        r += 1
    if not ri.traces:
        empty = ri.definition.trace_empty or "本表数值不直接来自部门报送（见主表说明）。"
        _merge(sheet, r, 0, len(TRACE_HEADERS) - 1, safe_text(empty), st.center)
        sheet.set_row(r, note_height(empty, sum(widths)))
        r += 1
    sheet.autofilter(head, 0, max(r - 1, head), len(TRACE_HEADERS) - 1)
    sheet.print_area(0, 0, max(r - 1, head), len(TRACE_HEADERS) - 1)


def _shown(value: object) -> str:
    """The text a trace cell shows (dates as printed), for measuring its height."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def _write_changes_sheet(sheet: Worksheet, st: _Styles, ri: RenderInput) -> None:
    intro = (
        f"本表为第 {ri.version} 版（更正版），与已报送的第 {ri.version - 1} 版相比，以下数值有变化；"
        "已报送版本的文件保留不变。"
    )
    head = _table_sheet(sheet, st, f"{ri.title}·更正说明", CHANGE_HEADERS, ri.result.sample, intro)
    r = head + 1
    for ch in ri.changes or []:
        values = (ch.row_label, ch.column, ch.before, ch.after, ch.delta, ch.reason)
        for c, value in enumerate(values):
            write_value(sheet, st, r, c, value, "text", 0, 2)
        sheet.set_row(r, row_height(max(text_lines(v, w) for v, (_, w) in zip(values, CHANGE_HEADERS, strict=True))))
        r += 1
    if not ri.changes:
        _merge(sheet, r, 0, len(CHANGE_HEADERS) - 1, "本表数值与已报送版本相同。", st.center)
        r += 1
    sheet.print_area(0, 0, r - 1, len(CHANGE_HEADERS) - 1)


def _properties(ri: RenderInput) -> dict[str, Any]:
    d = ri.definition
    mark = f"（{SAMPLE_MARK}）" if ri.result.sample else ""
    return {
        "title": f"{ri.title}（{ri.period_label}）{mark}",
        "subject": f"{d.table_no} {ri.title}",
        "author": ri.reporting_unit,
        "company": ri.reporting_unit,
        "manager": ri.issuer,
        "category": "统计报表",
        "keywords": f"{d.code}, {ri.period_label}, v{ri.version}" + (f", {SAMPLE_MARK}" if ri.result.sample else ""),
        "comments": f"第 {ri.version} 版；由知识产权规划监测数据仓库生成",
        # Fixed, derived from the data (never now()): the same inputs give the same bytes.
        "created": ri.created,
    }
