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
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from xml.etree import ElementTree

from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetVisibleEnum

from sources.forms import layout
from sources.intake.problems import Problem, error, quote

# Limits for one form. A filled form is a few tens of kilobytes; these leave a wide margin.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_MEMBERS = 200
MAX_TEXT_CHARS = 200  # signature and identifying fields
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_USE_TEMPLATE = "请使用系统生成的模板（ipwh template）重新填报，或联系知识产权局索取模板"


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
    file_format: str  # xlsx | csv
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
    """What kind of file the bytes are, whatever its name says."""
    if not data:
        return "empty"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # OLE compound file: a legacy .xls, or an .xlsx encrypted with a password.
        return "encrypted" if "EncryptedPackage".encode("utf-16-le") in data[: 65536 * 8] else "ole"
    if data.startswith(b"%PDF"):
        return "pdf"
    head = data[:4096]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def read_form(data: bytes) -> RawForm:
    """Read a form from its bytes; raises Unreadable with the receipt's problem when it cannot."""
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
        return _read_xlsx(data)
    if kind == "text":
        return _read_csv(data)
    messages = {
        "empty": ("empty_file", "文件为空（0 字节）", "请重新导出或保存报表后再报送"),
        "encrypted": ("password_protected", "工作簿设置了打开密码，系统无法读取", "请取消打开密码后重新报送"),
        "ole": ("legacy_xls", "文件是旧版 .xls 或其他 Office 格式，不是报表模板（.xlsx）", _USE_TEMPLATE),
        "pdf": (
            "not_a_spreadsheet",
            "文件是 PDF，不是电子表格",
            "请报送填好的 .xlsx 模板或 CSV 文件，不要报送扫描件或 PDF",
        ),
        "binary": ("not_a_spreadsheet", "文件不是电子表格或 CSV 文本", _USE_TEMPLATE),
    }
    code, message, fix = messages[kind]
    raise Unreadable(error(code, message, fix))


def _check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise Unreadable(
            error("corrupt_file", "文件已损坏，无法作为 .xlsx 打开", "请在 Excel/WPS 中打开并另存为 .xlsx 后重新报送")
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
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise Unreadable(error("not_a_spreadsheet", "文件是压缩包，但不是 Excel 工作簿（.xlsx）", _USE_TEMPLATE))
    return archive


def _read_xlsx(data: bytes) -> RawForm:
    archive = _check_zip(data)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise Unreadable(
            error("password_protected", "工作簿设置了打开密码，系统无法读取", "请取消打开密码后重新报送")
        ) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise Unreadable(
            error("corrupt_file", "文件已损坏，无法读取工作簿内容", "请在 Excel/WPS 中打开并另存为 .xlsx 后重新报送")
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
    structure = _sheet_structure(archive, layout.DATA_SHEET)
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
    return RawForm("xlsx", meta, entries, signature, problems)


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


@dataclass
class _Structure:
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    formulas: set[tuple[int, int]] = field(default_factory=set)
    formulas_without_value: set[tuple[int, int]] = field(default_factory=set)
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


def _sheet_structure(archive: zipfile.ZipFile, sheet_name: str) -> _Structure:
    """Hidden rows/columns, formulas and merges of one sheet, read from its XML part."""
    out = _Structure()
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return out
    rel_id = next(
        (s.get(f"{_REL_NS}id") for s in workbook.iter(f"{_NS}sheet") if s.get("name") == sheet_name),
        None,
    )
    target = next((r.get("Target") for r in rels if r.get("Id") == rel_id), None)
    if not target:
        return out
    part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    try:
        root = ElementTree.fromstring(archive.read(part))
    except (KeyError, ElementTree.ParseError):
        return out
    for col in root.iter(f"{_NS}col"):
        if col.get("hidden") in ("1", "true"):
            out.hidden_cols.update(range(int(col.get("min", "1")) - 1, int(col.get("max", "1"))))
    for row in root.iter(f"{_NS}row"):
        if row.get("hidden") in ("1", "true") and row.get("r"):
            out.hidden_rows.add(int(row.get("r", "1")) - 1)
        for cell in row.iter(f"{_NS}c"):
            if cell.find(f"{_NS}f") is not None and cell.get("r"):
                ref = _parse_ref(cell.get("r", "A1"))
                out.formulas.add(ref)
                value = cell.find(f"{_NS}v")
                if value is None or (value.text or "") == "":
                    out.formulas_without_value.add(ref)
    for merge in root.iter(f"{_NS}mergeCell"):
        ref = merge.get("ref", "")
        if ":" in ref:
            first, last = ref.split(":", 1)
            out.merged.append((_parse_ref(first), _parse_ref(last)))
    return out


def _parse_ref(ref: str) -> tuple[int, int]:
    match = re.match(r"^([A-Z]+)(\d+)$", ref)
    if not match:
        return (-1, -1)
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1


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
