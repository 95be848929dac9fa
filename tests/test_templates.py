"""The form writers: .xlsx templates (blank and filled) and .csv forms, checked against the layout contract."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from core.settings import SEEDS_DIR
from sources.catalogue import Catalogue
from sources.catalogue import load as load_catalogue
from sources.forms import layout
from sources.forms.csv_template import plain_text, write_csv_form
from sources.forms.spec import Assignment, assignment, form_spec, submitters, task_leads
from sources.forms.xlsx_template import FIRST_DATA_ROW, write_xlsx_form
from sources.periods import Period
from tests.form_files import element_codes
from tests.print_support import header_pages_without_rows, page_texts, require_soffice, to_pdf

FORM_CODES = sorted(Catalogue(SEEDS_DIR).codes("forms", "form_code"))
SIGNATURE = {
    "head_of_unit": "王五",
    "head_of_statistics": "李四",
    "filled_by": "张三",
    "phone": "059187654321",
    "reported_on": "2026-11-05",
}


def _assignment(catalogue: Catalogue, form_code: str) -> Assignment:
    form = form_spec(catalogue, form_code)
    dept = submitters(catalogue, form)[0]
    return assignment(catalogue, form_code, dept["region_code"], dept["department_code"])


def _period(a: Assignment) -> Period:
    return Period.of(a.form.period_type, 2026, 3 if a.form.period_type == "month" else 1)


@pytest.fixture
def monthly(catalogue: Catalogue) -> Assignment:
    return _assignment(catalogue, "ip_creation_monthly")


def _cells(ws: Worksheet) -> dict[str, tuple[int, int]]:
    """Every text cell's value -> its (1-based row, column)."""
    return {c.value: (c.row, c.column) for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def _right_of(ws: Worksheet, where: tuple[int, int]):
    return ws.cell(where[0], where[1] + 1)


def _code_rows(ws: Worksheet, codes: list[str]) -> dict[str, int]:
    """Element code -> 1-based row, found by the display code in column B (by code, not position)."""
    col = layout.COL_CODE + 1
    by_display = element_codes(ws.parent)
    found = {by_display.get(c.value): c.row for c in ws.iter_rows(min_col=col, max_col=col) for c in c}
    return {code: row for code, row in found.items() if code in codes}


def _calamine_values(path: Path | io.BytesIO, codes: list[str]) -> dict[str, object]:
    book = CalamineWorkbook.from_path(path) if isinstance(path, Path) else CalamineWorkbook.from_filelike(path)
    meta = {r[0]: r[1] for r in book.get_sheet_by_name(layout.META_SHEET).to_python()}
    form = form_spec(load_catalogue(), str(meta["form_code"]))
    by_display = {layout.display_code(r.row_no): r.element.code for r in form.rows}
    rows = book.get_sheet_by_name(layout.DATA_SHEET).to_python(skip_empty_area=False)
    return {
        by_display[r[layout.COL_CODE]]: r[layout.COL_VALUE]
        for r in rows
        if len(r) > layout.COL_VALUE and by_display.get(r[layout.COL_CODE]) in codes
    }


def _calamine_meta(path: Path) -> dict[str, str]:
    rows = CalamineWorkbook.from_path(path).get_sheet_by_name(layout.META_SHEET).to_python()
    return {r[0]: r[1] for r in rows}


# --- every form -------------------------------------------------------------------------------


@pytest.mark.parametrize("form_code", FORM_CODES)
def test_blank_form_layout(catalogue: Catalogue, tmp_path: Path, form_code: str) -> None:
    a = _assignment(catalogue, form_code)
    form, period = a.form, _period(a)
    path = tmp_path / "out" / f"{form_code}.xlsx"
    write_xlsx_form(a, period, path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [layout.DATA_SHEET, layout.META_SHEET]
    meta_ws, ws = book[layout.META_SHEET], book[layout.DATA_SHEET]
    assert meta_ws.sheet_state == "veryHidden"
    meta = {r[0]: r[1] for r in meta_ws.iter_rows(values_only=True)}
    assert list(meta) == list(layout.META_KEYS)
    assert meta == {
        "form_code": form_code,
        "template_version": str(form.template_version),
        "region_code": a.region_code,
        "department_code": a.department_code,
        "period": period.code,
        "sample": "0",
        "checksum": layout.meta_checksum(meta, form.element_codes),
    }

    # Rows by code in column B, in row_no order, contiguous from the first data row.
    rows = _code_rows(ws, form.element_codes)
    assert list(rows) == form.element_codes
    assert list(rows.values()) == list(range(FIRST_DATA_ROW + 1, FIRST_DATA_ROW + 1 + len(form.rows)))

    # Locked layout: only the value cells and the signature inputs are unlocked.
    assert ws.protection.sheet
    for form_row in form.rows:
        r = rows[form_row.element.code]
        assert ws.cell(r, layout.COL_VALUE + 1).protection.locked is False
        assert ws.cell(r, layout.COL_NAME + 1).value == form_row.element.name
        assert ws.cell(r, layout.COL_UNIT + 1).value == form_row.unit.name
        assert ws.cell(r, layout.COL_NOTE + 1).value.startswith("必填" if form_row.required else "选填")
        for col in (layout.COL_NAME, layout.COL_CODE, layout.COL_UNIT, layout.COL_NOTE):
            assert ws.cell(r, col + 1).protection.locked is True
    assert ws["A1"].protection.locked is True

    # One validation per value cell, of the element's type and range.
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert len(ws.data_validations.dataValidation) == len(form.rows)
    for form_row in form.rows:
        dv = validations[layout.cell_name(rows[form_row.element.code] - 1, layout.COL_VALUE)]
        assert dv.type == ("whole" if form_row.is_count else "decimal")
        assert dv.showErrorMessage and dv.error
        low, high = form_row.element.min_value, form_row.element.max_value
        if low is not None and high is not None:
            assert (dv.operator or "between", Decimal(dv.formula1), Decimal(dv.formula2)) == ("between", low, high)
        elif low is not None:
            assert (dv.operator, Decimal(dv.formula1)) == ("greaterThanOrEqual", low)

    # Heading: title, top-right block, department and period lines, header and code rows.
    cells = _cells(ws)
    assert ws["A1"].value == form.name
    assert _right_of(ws, cells["表号："]).value == form.table_no
    assert _right_of(ws, cells["制定机关："]).value == form.issuing_authority
    assert _right_of(ws, cells["批准文号："]).value == (form.approval_no or "—")
    assert _right_of(ws, cells["有效期至："]).value == (form.valid_until or "—")
    assert f"填报单位：{a.department_name}" in cells
    assert f"报告期：{period.label}" in cells
    header_row = cells[layout.HEADER_LABELS[0]][0]
    assert [ws.cell(header_row, c + 1).value for c in range(5)] == list(layout.HEADER_LABELS)
    assert [ws.cell(header_row + 1, c + 1).value for c in range(5)] == list(layout.CODE_ROW_LABELS)
    assert header_row + 2 == FIRST_DATA_ROW + 1

    # Signature block: each label with an unlocked, empty input cell to its right, below the data.
    for label in layout.SIGNATURE_LABELS:
        assert cells[label][0] > max(rows.values())
        target = _right_of(ws, cells[label])
        assert target.value is None and target.protection.locked is False

    # Instructions, with the real due date and the inbox folder.
    assert cells[layout.INSTRUCTIONS_TITLE][0] > cells["报出日期："][0]
    text = "\n".join(cells)
    due = period.due(form.due_days)
    assert f"报送截止日期：{due.year}年{due.month}月{due.day}日" in text
    assert "var/" not in text and "inbox" not in text  # a clerk never sees a server path
    assert f"按{form.issuing_authority}通知的方式报送" in text
    assert "回执" in text
    assert "示例数据" not in text


@pytest.mark.parametrize("form_code", FORM_CODES)
def test_calamine_reads_meta_and_values(catalogue: Catalogue, form_code: str) -> None:
    a = _assignment(catalogue, form_code)
    values = {
        r.element.code: (i + 1 if r.is_count else Decimal(i) + Decimal("0.25")) for i, r in enumerate(a.form.rows)
    }
    buffer = io.BytesIO()
    write_xlsx_form(a, _period(a), buffer, values=values, signature=SIGNATURE)

    buffer.seek(0)
    book = CalamineWorkbook.from_filelike(buffer)
    # A very hidden sheet is listed and readable; only its metadata says it is hidden.
    assert book.sheet_names == [layout.DATA_SHEET, layout.META_SHEET]
    assert [m.visible for m in book.sheets_metadata] == [SheetVisibleEnum.Visible, SheetVisibleEnum.VeryHidden]
    meta = dict(book.get_sheet_by_name(layout.META_SHEET).to_python())
    assert meta["form_code"] == form_code and meta["checksum"] == layout.meta_checksum(meta, a.form.element_codes)

    buffer.seek(0)
    read = _calamine_values(buffer, a.form.element_codes)
    assert {code: Decimal(str(v)) for code, v in read.items()} == {code: Decimal(v) for code, v in values.items()}
    assert all(isinstance(v, float) for v in read.values())  # calamine returns every number as float


# --- filling in -------------------------------------------------------------------------------


def test_department_fills_in_blank_template(monthly: Assignment, tmp_path: Path) -> None:
    blank, filled = tmp_path / "blank.xlsx", tmp_path / "filled.xlsx"
    write_xlsx_form(monthly, _period(monthly), blank)
    codes = monthly.form.element_codes
    typed = {code: 10 * i for i, code in enumerate(codes) if i % 3}  # every third row left blank

    book = openpyxl.load_workbook(blank)
    ws = book[layout.DATA_SHEET]
    rows = _code_rows(ws, codes)
    for code, value in typed.items():
        ws.cell(rows[code], layout.COL_VALUE + 1).value = value
    cells = _cells(ws)
    _right_of(ws, cells["填表人："]).value = "张三"
    book.save(filled)

    read = _calamine_values(filled, codes)
    assert {code: v for code, v in read.items() if v != ""} == {code: float(v) for code, v in typed.items()}
    meta = _calamine_meta(filled)
    assert meta["department_code"] == monthly.department_code
    assert meta["checksum"] == layout.meta_checksum(meta, codes)
    visible = {m.name: m.visible for m in CalamineWorkbook.from_path(filled).sheets_metadata}
    assert visible[layout.META_SHEET] == SheetVisibleEnum.VeryHidden  # openpyxl keeps it very hidden


def test_values_numbers_text_and_formula_like_text(monthly: Assignment, tmp_path: Path) -> None:
    path = tmp_path / "filled.xlsx"
    values = {
        "patent_applications": 1234,
        "patent_grants": Decimal("56"),
        "valid_trademarks": 7.0,
        "pct_applications": "约100",
        "madrid_registrations": "=SUM(D9:D10)",
        "patent_grants_design": None,
    }
    signature = {**SIGNATURE, "filled_by": '=HYPERLINK("http://example.com")'}
    write_xlsx_form(monthly, _period(monthly), path, values=values, signature=signature)

    ws = openpyxl.load_workbook(path)[layout.DATA_SHEET]
    rows = _code_rows(ws, monthly.form.element_codes)

    def cell(code: str):
        return ws.cell(rows[code], layout.COL_VALUE + 1)

    assert (cell("patent_applications").value, cell("patent_applications").data_type) == (1234, "n")
    assert cell("patent_grants").value == 56 and cell("valid_trademarks").value == 7
    assert (cell("pct_applications").value, cell("pct_applications").data_type) == ("约100", "s")
    assert (cell("madrid_registrations").value, cell("madrid_registrations").data_type) == ("=SUM(D9:D10)", "s")
    assert cell("patent_grants_design").value is None
    assert cell("patent_applications").number_format == "#,##0"
    assert _right_of(ws, _cells(ws)["填表人："]).data_type == "s"
    for label, key in layout.SIGNATURE_LABELS.items():
        assert _right_of(ws, _cells(ws)[label]).value == signature[key]
    # Below the data rows column B stays empty: nothing typed there can pass for an element code.
    below = ws.iter_rows(min_row=max(rows.values()) + 1, min_col=layout.COL_CODE + 1, max_col=layout.COL_CODE + 1)
    assert all(c.value is None for (c,) in below)
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere
    assert _calamine_values(path, ["madrid_registrations"]) == {"madrid_registrations": "=SUM(D9:D10)"}


def test_unknown_keys_are_refused(monthly: Assignment) -> None:
    with pytest.raises(ValueError, match="no_such_element"):
        write_xlsx_form(monthly, _period(monthly), io.BytesIO(), values={"no_such_element": 1})
    with pytest.raises(ValueError, match="no_such_field"):
        write_xlsx_form(monthly, _period(monthly), io.BytesIO(), signature={"no_such_field": "x"})
    with pytest.raises(ValueError, match="no_such_element"):
        write_csv_form(monthly, _period(monthly), io.StringIO(), values={"no_such_element": 1})


def test_same_inputs_give_identical_bytes(monthly: Assignment, tmp_path: Path) -> None:
    values = {"patent_applications": 5, "valid_trademarks": Decimal("1.5")}
    first, second = io.BytesIO(), io.BytesIO()
    write_xlsx_form(monthly, _period(monthly), first, values=values, signature=SIGNATURE, sample=True)
    write_xlsx_form(monthly, _period(monthly), second, values=values, signature=SIGNATURE, sample=True)
    write_xlsx_form(monthly, _period(monthly), tmp_path / "f.xlsx", values=values, signature=SIGNATURE, sample=True)
    assert first.getvalue() == second.getvalue() == (tmp_path / "f.xlsx").read_bytes()


def test_failed_write_leaves_no_file(monthly: Assignment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.xlsx"
    target.write_bytes(b"previous")

    def fail(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_xlsx_form(monthly, _period(monthly), target)
    assert [p.name for p in tmp_path.iterdir()] == ["f.xlsx"] and target.read_bytes() == b"previous"


def test_sample_is_marked(monthly: Assignment, tmp_path: Path) -> None:
    path = tmp_path / "sample.xlsx"
    write_xlsx_form(monthly, _period(monthly), path, values={"patent_applications": 1}, sample=True)
    ws = openpyxl.load_workbook(path)[layout.DATA_SHEET]
    assert "示例数据" in ws["A1"].value
    assert "示例数据" in ws.oddHeader.center.text
    assert any("示例数据" in text for text in _cells(ws) if text.startswith("1. "))
    meta = _calamine_meta(path)
    assert meta["sample"] == "1"
    assert meta["checksum"] == layout.meta_checksum(meta, monthly.form.element_codes)


# --- csv --------------------------------------------------------------------------------------


def _read_csv(path: Path, encoding: str) -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle))


def test_csv_header_and_rows(monthly: Assignment, tmp_path: Path) -> None:
    period = _period(monthly)
    values = {"patent_applications": 12, "valid_trademarks": Decimal("1E+3"), "pct_applications": Decimal("0.0000001")}
    path = tmp_path / "sub" / "f.csv"
    write_csv_form(monthly, period, path, values=values)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # utf-8-sig by default
    assert raw.count(b"\r\n") == len(monthly.form.rows) + 1 and raw.count(b"\n") == raw.count(b"\r\n")

    header, *rows = _read_csv(path, "utf-8-sig")
    assert header == list(layout.CSV_COLUMNS)
    assert [r[header.index("element_code")] for r in rows] == monthly.form.element_codes
    ident = [monthly.form.code, str(monthly.form.template_version), monthly.region_code, monthly.department_code]
    assert all(r[:5] == [*ident, period.code] for r in rows)
    by_code = {r[5]: dict(zip(header, r, strict=True)) for r in rows}
    assert by_code["patent_applications"]["value"] == "12"
    assert by_code["valid_trademarks"]["value"] == "1000"
    assert by_code["pct_applications"]["value"] == "0.0000001"
    assert by_code["patent_grants"]["value"] == ""
    assert by_code["patent_grants"]["element_name"] == "专利授权量" and by_code["patent_grants"]["unit"] == "件"


@pytest.mark.parametrize(
    ("encoding", "read_as"),
    [("utf-8", "utf-8-sig"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030")],
)
def test_csv_encodings_round_trip(catalogue: Catalogue, tmp_path: Path, encoding: str, read_as: str) -> None:
    a = _assignment(catalogue, "ip_work_annual")  # long names with （）
    values = {r.element.code: i for i, r in enumerate(a.form.rows)}
    reference = tmp_path / "reference.csv"
    write_csv_form(a, _period(a), reference, values=values, encoding="utf-8")
    path = tmp_path / f"{encoding}.csv"
    write_csv_form(a, _period(a), path, values=values, encoding=encoding)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert _read_csv(path, read_as) == _read_csv(reference, "utf-8")


def test_csv_sample_column_and_text_stream(monthly: Assignment, tmp_path: Path) -> None:
    stream = io.StringIO(newline="")
    write_csv_form(monthly, _period(monthly), stream, sample=True)
    header, *rows = list(csv.reader(io.StringIO(stream.getvalue(), newline="")))
    assert header == [*layout.CSV_COLUMNS, "sample"]
    assert all(r[-1] == "1" for r in rows) and len(rows) == len(monthly.form.rows)
    with pytest.raises(ValueError, match="不支持的编码"):
        write_csv_form(monthly, _period(monthly), tmp_path / "x.csv", encoding="latin-1")


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False) | st.floats(allow_nan=False, allow_infinity=False))
def test_csv_numbers_in_plain_notation(value: Decimal | float) -> None:
    text = plain_text(value)
    assert "E" not in text.upper() and Decimal(text) == Decimal(repr(value) if isinstance(value, float) else value)


# --- the blank form as a clerk reads and prints it ---------------------------------------------


def _instruction_lines(ws: Worksheet) -> list[str]:
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    return texts[texts.index(layout.INSTRUCTIONS_TITLE) + 1 :]


@pytest.mark.parametrize("form_code", FORM_CODES)
def test_requirement_column_and_instructions_agree_on_blank_cells(catalogue: Catalogue, form_code: str) -> None:
    a = _assignment(catalogue, form_code)
    buffer = io.BytesIO()
    write_xlsx_form(a, _period(a), buffer)
    ws = openpyxl.load_workbook(buffer)[layout.DATA_SHEET]
    rows = _code_rows(ws, a.form.element_codes)
    for form_row in a.form.rows:
        note = ws.cell(rows[form_row.element.code], layout.COL_NOTE + 1).value
        if form_row.required:
            assert note.startswith("必填") and "不得留空" in note and "请留空" not in note
        else:
            assert note.startswith("选填") and "留空" in note and "不得留空" not in note
    blanks = [line for line in _instruction_lines(ws) if "留空" in line]
    assert blanks and all("必填" in line and "选填" in line for line in blanks)  # says which cells may be blank
    validations = [dv.prompt or "" for dv in ws.data_validations.dataValidation]
    assert not any("不得留空" in p and "不清楚时留空" in p for p in validations)


@pytest.mark.parametrize("form_code", FORM_CODES)
def test_code_column_shows_numbers_a_clerk_can_read(catalogue: Catalogue, form_code: str) -> None:
    a = _assignment(catalogue, form_code)
    buffer = io.BytesIO()
    write_xlsx_form(a, _period(a), buffer)
    ws = openpyxl.load_workbook(buffer)[layout.DATA_SHEET]
    shown = [ws.cell(FIRST_DATA_ROW + 1 + i, layout.COL_CODE + 1).value for i in range(len(a.form.rows))]
    assert shown == [f"{r.row_no:02d}" for r in a.form.rows]
    assert not any(c.value in a.form.element_codes for row in ws.iter_rows() for c in row)


def test_instructions_never_name_a_server_path(catalogue: Catalogue) -> None:
    forms = [_assignment(catalogue, code) for code in FORM_CODES]
    leads = {d["department_code"]: d["region_code"] for d in task_leads(catalogue)}
    department = sorted(leads)[0]
    forms.append(assignment(catalogue, "key_task_quarterly", leads[department], department))
    for a in forms:
        buffer = io.BytesIO()
        write_xlsx_form(a, _period(a), buffer)
        text = "\n".join(_instruction_lines(openpyxl.load_workbook(buffer)[layout.DATA_SHEET]))
        assert "var/" not in text and "inbox" not in text and a.department_code not in text, a.form.code
        assert "报送方式" in text


def _printed_forms(catalogue: Catalogue, folder: Path) -> list[tuple[str, Path]]:
    """Every element form once, and the task-report form of each lead unit (their row counts differ)."""
    out = []
    for code in FORM_CODES:
        a = _assignment(catalogue, code)
        path = folder / f"{code}.xlsx"
        write_xlsx_form(a, _period(a), path, sample=True)
        out.append((code, path))
    for d in task_leads(catalogue):
        a = assignment(catalogue, "key_task_quarterly", d["region_code"], d["department_code"])
        path = folder / f"tasks_{d['department_code']}.xlsx"
        write_xlsx_form(a, Period.parse("2026Q3", "quarter"), path)
        out.append((d["department_code"], path))
    return out


def test_printed_forms_keep_the_signature_block_whole_and_never_show_the_header_alone(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    require_soffice()
    labels = [label.rstrip("：") for label in layout.SIGNATURE_LABELS]
    for name, path in _printed_forms(catalogue, tmp_path):
        pages = page_texts(to_pdf(path, tmp_path / "pdf"))
        holding = [i for i, page in enumerate(pages) if any(label in page for label in labels)]
        assert len(holding) == 1, (name, len(pages), holding)  # the whole block on one page
        assert all(label in pages[holding[0]] for label in labels), name
        assert not header_pages_without_rows(pages, after=(labels[0], layout.INSTRUCTIONS_TITLE)), name


def test_print_checks_skip_without_libreoffice_only_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.print_support as support

    monkeypatch.setattr(support.shutil, "which", lambda _tool: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        support.require_soffice()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI"):
        support.require_soffice()
