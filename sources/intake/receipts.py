"""Receipts (回执): what the department gets back for every file, in plain Chinese.

Always a text receipt; when there are problems also an .xlsx listing them cell by cell, which is
easier to work through than text. Text a department typed goes into the workbook as text only.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from sources.forms import layout, printing
from sources.intake import temporaries
from sources.intake.problems import Problem

UNKNOWN_FOLDER = "_未识别"  # receipts of files whose department could not be told

_SEVERITY = {"error": "错误", "warning": "提示"}


@dataclass
class ReceiptData:
    submission_id: str | None
    file_name: str
    file_sha256: str
    received_at: datetime
    outcome: str  # accepted | rejected | duplicate
    problems: list[Problem] = field(default_factory=list)
    form_label: str | None = None  # 榕知统1表《知识产权创造情况月报》（模板版本 1）
    department_label: str | None = None
    department_code: str | None = None
    period_label: str | None = None
    due: date | None = None
    version: int | None = None
    superseded: str | None = None
    duplicate_of: str | None = None
    duplicate_received_at: datetime | None = None
    duplicate_outcome: str | None = None
    is_sample: bool = False
    title: str = "知识产权统计报表接收回执"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def verdict(self) -> str:
        if self.outcome == "duplicate":
            when = self.duplicate_received_at.strftime("%Y-%m-%d %H:%M") if self.duplicate_received_at else ""
            earlier = "已接收" if self.duplicate_outcome == "accepted" else "已退回"
            return (
                f"重复文件：与 {when} 收到的文件（回执编号 {self.duplicate_of}，{earlier}）完全相同，未重复处理；"
                "结果以原回执为准。"
            )
        if self.outcome == "accepted":
            text = f"已接收，为第 {self.version} 版"
            if self.superseded:
                text += f"，取代此前的版本（回执编号 {self.superseded}）"
            if self.warnings:
                text += f"；另有 {len(self.warnings)} 条提示，请核对"
            return text + "。"
        return f"未接收（退回）：发现 {len(self.errors)} 处错误，请逐项修改后重新报送整个文件。"

    def timeliness(self) -> str | None:
        if not self.due or self.outcome != "accepted":
            return None
        days = (self.received_at.date() - self.due).days
        if days > 0:
            return f"截止报送日期 {self.due.isoformat()}，逾期 {days} 天"
        return f"截止报送日期 {self.due.isoformat()}，按时报送"


def render_text(receipt: ReceiptData) -> str:
    lines = [receipt.title + ("（示例数据）" if receipt.is_sample else ""), ""]
    if receipt.submission_id:
        lines.append(f"回执编号：{receipt.submission_id}")
    lines += [
        f"文件：{receipt.file_name}",
        f"文件指纹（SHA-256）：{receipt.file_sha256}",
        f"接收时间：{receipt.received_at.strftime('%Y-%m-%d %H:%M:%S')}",
    ]
    if receipt.form_label:
        lines.append(f"报表：{receipt.form_label}")
    if receipt.department_label:
        lines.append(f"填报单位：{receipt.department_label}")
    if receipt.period_label:
        lines.append(f"报告期：{receipt.period_label}")
    timeliness = receipt.timeliness()
    if timeliness:
        lines.append(f"报送时限：{timeliness}")
    lines += ["", f"结果：{receipt.verdict()}"]
    if receipt.problems:
        lines += ["", "问题清单（位置 = 工作表!单元格）："]
        ordered = receipt.errors + receipt.warnings
        for number, p in enumerate(ordered, start=1):
            found = f"；发现：{p.found}" if p.found not in (None, "") else ""
            lines.append(f"  {number}. [{_SEVERITY[p.severity]}] {p.where}　{p.message}{found}")
            lines.append(f"     修改方法：{p.fix}")
    lines += ["", "如有疑问，请联系知识产权局统计分析人员。"]
    return "\n".join(lines) + "\n"


def receipt_folder(receipts: Path, department_code: str | None) -> Path:
    """Where a receipt goes: the department's folder, or `_未识别` when it could not be told."""
    return receipts / (department_code or UNKNOWN_FOLDER)


def receipt_stem(receipt: ReceiptData) -> str:
    """The receipt's file name without suffix: the submission id; a duplicate's names the bytes; a file
    refused before it could be read (a link, an unreadable path) is named after its name and time."""
    if receipt.submission_id:
        return receipt.submission_id
    if receipt.file_sha256:
        return f"dup-{receipt.file_sha256[:16]}"
    key = f"{receipt.department_code}|{receipt.file_name}|{receipt.received_at.isoformat()}"
    return f"refused-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"


def write_receipt(receipt: ReceiptData, folder: Path) -> Path:
    """Write the .xlsx problem list (when there are problems), then the text receipt; returns the text path.

    Both are renamed into place whole, and the text comes last: a text receipt on disk means the
    receipt is complete, which is what a later intake looks for when it restores missing receipts."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = receipt_stem(receipt)
    text_path = folder / f"{stem}.txt"
    if receipt.problems:
        _write_xlsx(receipt, folder / f"{stem}.xlsx")
    _atomic_write(text_path, render_text(receipt).encode("utf-8"))
    return text_path


def _atomic_write(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=temporaries.prefix(temporaries.RECEIPT))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# The .xlsx list: one problem a row, printed on A4 landscape across one page width, the header row
# repeated on every page, every cell wrapped and every row as tall as its longest text (LibreOffice
# prints a row at the height it is given, so a short row would cut the problem text).
_XLSX_COLUMNS = (("序号", 5), ("类别", 6), ("工作表", 10), ("单元格", 14), ("指标代码", 16), ("发现内容", 20))
_XLSX_TEXT_COLUMNS = (("问题", 38), ("修改方法", 30))
_SHEET_LABELS = {layout.META_SHEET: "模板隐藏信息", "csv": "CSV 文件", "xlsx": "工作簿"}


def _sheet_label(p: Problem) -> str:
    if not p.sheet:
        return "整个文件"
    return _SHEET_LABELS.get(p.sheet, p.sheet)


def _height(texts: list[tuple[str, float]]) -> float:
    return printing.row_height(max(printing.text_lines(t, w) for t, w in texts))


def _write_xlsx(receipt: ReceiptData, path: Path) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=temporaries.prefix(temporaries.RECEIPT), suffix=".xlsx")
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(
            temp, {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        )
        book.set_properties({"title": "报表接收回执", "created": receipt.received_at})
        sheet = book.add_worksheet("回执")
        font = {"font_name": "宋体", "font_size": 11}
        title = book.add_format({**font, "bold": True, "font_size": 16})
        head = book.add_format(
            {**font, "bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "vcenter"}
        )
        body = book.add_format({**font, "border": 1, "text_wrap": True, "valign": "top"})
        bad = book.add_format({**font, "border": 1, "font_color": "#C00000", "bold": True, "valign": "top"})
        label = book.add_format({**font, "bold": True, "valign": "top"})
        plain = book.add_format({**font, "text_wrap": True, "valign": "top"})
        columns = (*_XLSX_COLUMNS, *_XLSX_TEXT_COLUMNS)
        widths = [w for _, w in columns]
        last = len(columns) - 1
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        sheet.set_row(0, 24)
        sheet.merge_range(0, 0, 0, last, receipt.title + ("（示例数据）" if receipt.is_sample else ""), title)
        info = [
            ("回执编号", receipt.submission_id or ""),
            ("文件", receipt.file_name),
            ("接收时间", receipt.received_at.strftime("%Y-%m-%d %H:%M:%S")),
            ("报表", receipt.form_label or ""),
            ("填报单位", receipt.department_label or ""),
            ("报告期", receipt.period_label or ""),
            ("结果", receipt.verdict()),
        ]
        value_width = sum(widths[2:])
        for row, (name, value) in enumerate(info, start=2):
            sheet.merge_range(row, 0, row, 1, name, label)
            sheet.merge_range(row, 2, row, last, value, plain)
            sheet.set_row(row, _height([(value, value_width)]))
        top = len(info) + 3
        for col, (name, _) in enumerate(columns):
            sheet.write_string(top, col, name, head)
        sheet.set_row(top, 20)
        for number, p in enumerate(receipt.errors + receipt.warnings, start=1):
            row = top + number
            sheet.write_number(row, 0, number, body)
            sheet.write_string(row, 1, _SEVERITY[p.severity], bad if p.severity == "error" else body)
            texts = (_sheet_label(p), p.cell or "", p.element_code or "", p.found or "", p.message, p.fix)
            for col, value in enumerate(texts, start=2):
                sheet.write_string(row, col, value, body)
            sheet.set_row(row, _height([(t, widths[c]) for c, t in enumerate(texts, start=2)]))
        end = top + len(receipt.problems)
        sheet.freeze_panes(top + 1, 0)
        sheet.set_paper(9)  # A4
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)  # one page wide, as many pages long as the list needs
        sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        sheet.center_horizontally()
        sheet.repeat_rows(top)
        sheet.print_area(0, 0, end, last)
        sheet.set_footer("&C第 &P 页，共 &N 页")
        book.close()
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
