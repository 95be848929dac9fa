"""Read a received file into cells, refusing what is unsafe or unreadable before touching it.

Order matters: the bytes are checked (size, type, zip limits) before any parser sees them, so a
renamed PDF, a password-protected workbook or a zip bomb gets a clear answer instead of a crash
or an exhausted machine. Values come from python-calamine; the few structural facts calamine
does not expose (hidden rows and columns, formulas without a cached value) come from one pass
over the data sheet's XML.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from dataclasses import dataclass, field

from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetVisibleEnum

from sources.forms import layout
from sources.intake import formats
from sources.intake.problems import Problem, error, quote
from sources.intake.structure import Structure, merged_from, ods_structure, xls_structure, xlsx_structure

# Limits for one form. A filled form is a few tens of kilobytes; these leave a wide margin.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_MEMBERS = 200
MAX_TEXT_CHARS = 200  # signature and identifying fields
_USE_TEMPLATE = "请使用系统生成的模板（ipwh template）重新填报，或联系知识产权局索取模板"
_KEEP_TEMPLATE = "请在原模板中填报，另存为 .xlsx 或 .xls 后重新报送（不要复制到新工作簿）"
_RESAVE = "请在 Excel/WPS 中打开原模板，另存为 .xlsx 或 .xls 后重新报送"


class Unreadable(Exception):
    """The file cannot be read at all; carries the one problem to put on the receipt."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class Entry:
    """One input cell of a form's data row as found in the file (element forms: one per row)."""

    element_code: str  # the row's code: a data element, or a task on a task-report form
    raw: object
    sheet: str
    cell: str
    formula_without_value: bool = False
    from_formula: bool = False
    hidden: bool = False
    merged: bool = False
    field: str = "value"  # which input of the row: value | status | progress (layout.LAYOUTS)


@dataclass
class RawForm:
    file_format: str  # a key of formats.WORKBOOK_FORMATS, or csv

    @property
    def workbook(self) -> bool:
        return self.file_format != "csv"

    meta: dict[str, str]
    entries: list[Entry]
    signature: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


# What a damaged .xlsx raises from deep inside zipfile/zlib while a part is read (a flipped byte makes
# the CRC-32 check fail, a cut-off file ends early).
_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError)
INTAKE_ERROR = "intake_error"  # a file refused because reading it raised: sending it again is judged anew


def failure_problem(exc: Exception) -> Problem:
    """The receipt's problem for a file whose reading raised something other than Unreadable."""
    if isinstance(exc, _DAMAGE):
        return error(
            "corrupt_file",
            "文件已损坏（压缩数据校验失败或内容不完整），无法读取",
            "请在 Excel/WPS 中打开并另存为 .xlsx 后重新报送；如无法打开，请重新填报模板",
        )
    return error(
        INTAKE_ERROR,
        f"系统读取此文件时出错（{type(exc).__name__}），文件已归档但未入库；该错误已记录",
        "请在 Excel/WPS 中另存为 .xlsx 后重新报送；如仍被退回，请联系知识产权局统计分析人员",
    )


def sniff(data: bytes) -> str:
    """What kind of container the bytes are, whatever its name says."""
    if not data:
        return "empty"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"  # OLE compound file: .xls, WPS .et, .doc, or an .xlsx encrypted with a password
    if data.startswith(b"%PDF"):
        return "pdf"
    head = data[:4096]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def file_format(data: bytes, name: str = "") -> str:
    """The file's format (formats.WORKBOOK_FORMATS, csv, or why not); never raises."""
    kind = sniff(data)
    if kind == "zip":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return formats.zip_format(archive, name)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
            return "corrupt"
    if kind == "ole":
        try:
            return formats.ole_format(data, name)
        except formats.BrokenContainer:
            return "corrupt"
    return "csv" if kind == "text" else kind


def read_form(data: bytes, name: str = "") -> RawForm:
    """Read a form from its bytes; raises Unreadable with the receipt's problem when it cannot.

    `name` (the file name as sent) only tells apart what the bytes cannot: WPS's .et and an .xls
    share the OLE container."""
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable(
            error(
                "too_large",
                f"文件过大（{len(data) / 1048576:.1f} MB），超过 {MAX_FILE_BYTES // 1048576} MB 上限",
                "报表文件通常只有几十 KB，请检查是否误传了其他文件",
            )
        )
    kind = sniff(data)
    if kind == "zip":
        archive = _check_zip(data)
        fmt = formats.zip_format(archive, name)
        if fmt in formats.WORKBOOK_FORMATS:
            return _read_workbook(data, fmt, archive)
        raise Unreadable(_foreign(fmt))
    if kind == "ole":
        try:
            fmt = formats.ole_format(data, name)
        except formats.BrokenContainer as exc:
            raise Unreadable(
                error("corrupt_file", "文件已损坏（Office 97-2003 文件结构不完整），无法读取", _RESAVE)
            ) from exc
        if fmt == "xls":
            return _read_workbook(data, fmt, None)
        if fmt == "encrypted":
            raise Unreadable(
                error("password_protected", "工作簿设置了打开密码，系统无法读取", "请取消打开密码后重新报送")
            )
        raise Unreadable(_foreign(fmt))
    if kind == "text":
        return _read_csv(data)
    messages = {
        "empty": ("empty_file", "文件为空（0 字节）", "请重新导出或保存报表后再报送"),
        "pdf": (
            "not_a_spreadsheet",
            "文件是 PDF，不是电子表格",
            "请报送填好的 .xlsx 模板或 CSV 文件，不要报送扫描件或 PDF",
        ),
        "binary": ("not_a_spreadsheet", "文件不是电子表格或 CSV 文本", _USE_TEMPLATE),
    }
    code, message, fix = messages[kind]
    raise Unreadable(error(code, message, fix))


def _foreign(fmt: str) -> Problem:
    """A format we do not read, named, with what to do instead."""
    described = formats.FOREIGN_FORMATS.get(fmt, fmt)
    if fmt == "et":
        return error(
            "unsupported_format",
            f"文件是{described}，系统无法读取",
            "请在 WPS 中打开原模板，另存为 .xlsx 或 .xls 后重新报送",
        )
    if fmt == "numbers":
        return error(
            "unsupported_format",
            f"文件是{described}，系统无法读取",
            "请在 Numbers 中选择“文件→导出为→Excel”（.xlsx）后重新报送",
        )
    return error("not_a_spreadsheet", f"文件是{described}", _USE_TEMPLATE)


def _check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise Unreadable(
            error("corrupt_file", "文件已损坏（压缩包结构不完整），无法作为电子表格打开", _RESAVE)
        ) from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise Unreadable(error("zip_limits", f"文件内部包含 {len(members)} 个部件，超出报表的合理范围", _USE_TEMPLATE))
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    worst = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO or worst > MAX_COMPRESSION_RATIO * 10:
        raise Unreadable(
            error(
                "zip_limits",
                f"文件解压后过大（{total / 1048576:.0f} MB，压缩比 {total / packed:.0f}:1），已拒绝读取",
                "报表文件解压后不会超过几 MB；请检查文件来源，使用系统模板重新填报",
            )
        )
    return archive


def _read_workbook(data: bytes, fmt: str, archive: zipfile.ZipFile | None) -> RawForm:
    """Read any workbook format calamine opens; `archive` is the zip of the zip-based formats."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise Unreadable(
            error("password_protected", "工作簿设置了打开密码，系统无法读取", "请取消打开密码后重新报送")
        ) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise Unreadable(
            error("corrupt_file", f"文件已损坏，无法读取工作簿内容（{formats.WORKBOOK_FORMATS[fmt]}）", _RESAVE)
        ) from exc
    names = book.sheet_names
    problems: list[Problem] = []
    meta: dict[str, str] = {}
    if layout.META_SHEET in names:
        for row in _rows(book, layout.META_SHEET):
            if len(row) >= 2 and isinstance(row[0], str) and row[0].strip():
                meta[row[0].strip()] = cell_text(row[1])
        visibility = {m.name: m.visible for m in book.sheets_metadata}
        if visibility.get(layout.META_SHEET) == SheetVisibleEnum.Visible:
            problems.append(
                error(
                    "metadata_exposed",
                    "模板的隐藏信息表被取消隐藏，可能已被修改",
                    _USE_TEMPLATE,
                    sheet=layout.META_SHEET,
                )
            )
    if layout.DATA_SHEET not in names or not meta:
        _refuse_without_template(names, fmt)
    if layout.DATA_SHEET not in names:
        raise Unreadable(
            error(
                "not_our_template",
                f"工作簿中没有“{layout.DATA_SHEET}”工作表，不是本系统生成的报表模板（工作表：{'、'.join(names)}）",
                _USE_TEMPLATE,
            )
        )
    sheet_layout = layout.LAYOUTS.get(meta.get(layout.META_LAYOUT_KEY) or layout.ELEMENT_LAYOUT)
    if sheet_layout is None:
        problems.append(
            error(
                "metadata_edited",
                f"模板的隐藏信息中版式 {quote(meta.get(layout.META_LAYOUT_KEY))} 无法识别",
                _USE_TEMPLATE,
                sheet=layout.META_SHEET,
            )
        )
        sheet_layout = layout.LAYOUTS[layout.ELEMENT_LAYOUT]
    rows = _rows(book, layout.DATA_SHEET)
    structure = _structure(book, data, fmt, archive)
    merged_cells = {
        (r, c) for (r0, c0), (r1, c1) in structure.merged for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
    }
    sheet = layout.DATA_SHEET
    entries: list[Entry] = []
    signature: dict[str, str] = {}
    signature_rows: list[int] = []
    code_rows: list[int] = []
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if isinstance(cell, str) and cell.strip() in layout.SIGNATURE_LABELS:
                key = layout.SIGNATURE_LABELS[cell.strip()]
                value = cell_text(row[c + 1]) if c + 1 < len(row) else ""
                signature_rows.append(r)
                if len(value) > MAX_TEXT_CHARS:
                    problems.append(
                        error(
                            "text_too_long",
                            f"“{cell.strip().rstrip('：')}”内容过长（{len(value)} 字）",
                            f"请填写不超过 {MAX_TEXT_CHARS} 字",
                            sheet=sheet,
                            cell=layout.cell_name(r, c + 1),
                            found=quote(value),
                        )
                    )
                    value = value[:MAX_TEXT_CHARS]
                signature[key] = value
        code = row[sheet_layout.code_col] if len(row) > sheet_layout.code_col else ""
        if isinstance(code, str) and sheet_layout.code_pattern.match(code.strip()):
            code_rows.append(r)
            for input_field, col in sheet_layout.input_cols:
                raw = row[col] if len(row) > col else None
                ref = (r, col)
                entries.append(
                    Entry(
                        element_code=code.strip(),
                        raw=None if raw == "" else raw,
                        sheet=sheet,
                        cell=layout.cell_name(r, col),
                        formula_without_value=ref in structure.formulas_without_value,
                        from_formula=ref in structure.formulas,
                        hidden=r in structure.hidden_rows or col in structure.hidden_cols,
                        merged=ref in merged_cells,
                        field=input_field,
                    )
                )
    # A value typed into a row without a code (an inserted row) would otherwise be silently ignored.
    if code_rows:
        last = min([r for r in signature_rows if r > code_rows[0]], default=len(rows))
        for r in range(code_rows[0], last):
            if r in code_rows:
                continue
            row = rows[r]
            for _, col in sheet_layout.input_cols:
                raw = row[col] if len(row) > col else ""
                if raw not in ("", None):
                    problems.append(
                        error(
                            "row_without_code",
                            "此行有数值，但没有指标代码（可能插入了行）"
                            if sheet_layout.kind == layout.ELEMENT_LAYOUT
                            else "此行有填报内容，但没有任务代码（可能插入了行或改动了代码）",
                            "请删除插入的行，只在模板原有的行中填报",
                            sheet=sheet,
                            cell=layout.cell_name(r, col),
                            found=quote(raw),
                        )
                    )
    return RawForm(fmt, meta, entries, signature, problems)


def _refuse_without_template(names: list[str], fmt: str) -> None:
    """A workbook whose hidden metadata sheet is gone: say so, and how to get it back."""
    if layout.DATA_SHEET in names:
        raise Unreadable(
            error(
                "missing_metadata",
                f"文件（{formats.WORKBOOK_FORMATS[fmt]}）中有“{layout.DATA_SHEET}”，但模板的隐藏信息表已丢失"
                "（可能把内容复制到了新工作簿，或另存为不保留隐藏工作表的格式），无法识别报表、单位和报告期",
                _KEEP_TEMPLATE,
            )
        )
    if layout.META_SHEET not in names:
        raise Unreadable(
            error(
                "not_our_template",
                f"工作簿中没有“{layout.DATA_SHEET}”工作表和模板的隐藏信息表，不是本系统生成的报表模板"
                f"（工作表：{'、'.join(names)}）",
                _USE_TEMPLATE,
            )
        )


def _structure(book: CalamineWorkbook, data: bytes, fmt: str, archive: zipfile.ZipFile | None) -> Structure:
    if archive is not None and fmt in ("xlsx", "xlsm"):
        return xlsx_structure(archive, layout.DATA_SHEET)
    if archive is not None and fmt == "ods":
        return ods_structure(archive, layout.DATA_SHEET)
    if fmt == "xls":
        return xls_structure(data, layout.DATA_SHEET)
    return merged_from(book.get_sheet_by_name(layout.DATA_SHEET).merged_cell_ranges)


def _rows(book: CalamineWorkbook, name: str) -> list[list[object]]:
    try:
        return book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except (CalamineError, ValueError) as exc:
        raise Unreadable(
            error("corrupt_file", f"工作表“{name}”已损坏，无法读取", "请在 Excel/WPS 中另存为 .xlsx 后重新报送")
        ) from exc


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_csv(data: bytes) -> RawForm:
    text = None
    for encoding in layout.CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise Unreadable(
            error("bad_encoding", "CSV 文件的编码无法识别", "请另存为 UTF-8 或 GBK（GB18030）编码的 CSV 后重新报送")
        )
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        lines = list(reader)
    except csv.Error as exc:
        raise Unreadable(error("corrupt_file", f"CSV 格式有误：{exc}", "请用系统模板导出 CSV 后重新报送")) from exc
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise Unreadable(error("empty_file", "CSV 文件没有内容", "请填报后重新报送"))
    header = [h.strip().lower() for h in lines[0]]
    missing = [c for c in layout.CSV_REQUIRED_COLUMNS if c not in header]
    if missing:
        raise Unreadable(
            error(
                "not_our_template",
                f"CSV 表头缺少列：{', '.join(missing)}（应为 {','.join(layout.CSV_COLUMNS)}）",
                "请使用系统生成的 CSV 模板（ipwh template … --format csv）",
                sheet="csv",
                cell="第1行",
            )
        )
    index = {name: header.index(name) for name in header}
    problems: list[Problem] = []
    meta: dict[str, str] = {}
    entries: list[Entry] = []
    identity = ("form_code", "template_version", "region_code", "department_code", "period")
    for line_no, line in enumerate(lines[1:], start=2):
        cells = {name: (line[i].strip() if i < len(line) else "") for name, i in index.items()}
        for key in identity:
            if key not in meta:
                meta[key] = cells[key]
            elif cells[key] != meta[key]:
                problems.append(
                    error(
                        "mixed_identity",
                        f"{key} 与第2行不一致（第2行为 {quote(meta[key])}）",
                        "一个文件只报一个单位、一张报表、一个报告期",
                        sheet="csv",
                        cell=f"第{line_no}行",
                        found=quote(cells[key]),
                    )
                )
        if "sample" in index and cells["sample"]:
            meta["sample"] = cells["sample"]
        code = cells["element_code"]
        if not code:
            if cells["value"]:
                problems.append(
                    error(
                        "row_without_code",
                        "此行有数值，但没有指标代码",
                        "请补上 element_code 或删除该行",
                        sheet="csv",
                        cell=f"第{line_no}行",
                        found=quote(cells["value"]),
                    )
                )
            continue
        entries.append(Entry(code, cells["value"] or None, "csv", f"第{line_no}行"))
    return RawForm("csv", meta, entries, {}, problems)
