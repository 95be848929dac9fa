"""A filled form saved in whatever format a department's software offers is read like the .xlsx.

The files are real: generated templates filled with openpyxl, then opened and saved by LibreOffice
(headless) as .xls and .ods, and an .ods edited and saved back as .xlsx, as a clerk's 另存为 does.
LibreOffice is started three times for the whole module (one call per target format).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest

from core.settings import Settings
from sources.catalogue import Catalogue
from sources.catalogue import load as load_catalogue
from sources.forms import layout
from sources.intake.pipeline import Incoming, Outcome, ingest
from sources.intake.readers import file_format
from tests.form_files import CREATION_VALUES, blank_form, fill, row_of
from tests.print_support import save_as

TODAY = date(2026, 11, 21)
SAVED = ("xls", "ods")


def _hide(book: openpyxl.Workbook) -> None:
    book[layout.DATA_SHEET].row_dimensions[row_of(book, "madrid_registrations")].hidden = True


def _merge(book: openpyxl.Workbook) -> None:
    row = row_of(book, "madrid_registrations")
    book[layout.DATA_SHEET].merge_cells(start_row=row, start_column=4, end_row=row + 1, end_column=4)


def _drop_metadata(book: openpyxl.Workbook) -> None:
    del book[layout.META_SHEET]  # what a copy-paste into a new workbook leaves


@pytest.fixture(scope="session")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(case, format) -> a file LibreOffice saved; cases: filled, hidden, merged, formula, nometa, edited."""
    root = tmp_path_factory.mktemp("formats")
    catalogue = load_catalogue()
    template = blank_form(catalogue, root / "templates")
    sources = {
        "filled": fill(template, root / "src" / "filled.xlsx", CREATION_VALUES),
        "hidden": fill(template, root / "src" / "hidden.xlsx", CREATION_VALUES, _hide),
        "merged": fill(template, root / "src" / "merged.xlsx", CREATION_VALUES, _merge),
        # openpyxl writes the formula without a result; LibreOffice computes and stores it
        "formula": fill(template, root / "src" / "formula.xlsx", dict(CREATION_VALUES, madrid_registrations="=30+10")),
        "nometa": fill(template, root / "src" / "nometa.xlsx", CREATION_VALUES, _drop_metadata),
    }
    profile = root / "lo-profile"
    out: dict[tuple[str, str], Path] = {}
    for target in SAVED:
        for case, path in zip(sources, save_as(list(sources.values()), target, root / target, profile), strict=True):
            out[(case, target)] = path
    # A clerk opens the .ods, corrects 马德里 from 40 to 41 and saves it as .xlsx.
    edited = root / "edit" / "edited.ods"
    edited.parent.mkdir()
    _edit_ods_value(out[("filled", "ods")], edited, "40", "41")
    (out[("edited", "xlsx")],) = save_as([edited], "xlsx", root / "xlsx", profile)
    return out


def _edit_ods_value(source: Path, target: Path, old: str, new: str) -> None:
    with zipfile.ZipFile(source) as z:
        parts = [(info, z.read(info.filename)) for info in z.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for info, data in parts:
            if info.filename == "content.xml":
                text = data.decode()
                pattern = f'office:value="{old}"([^>]*)><text:p>{old}</text:p>'
                assert len(re.findall(pattern, text)) == 1, "the value to edit must occur once"
                data = re.sub(pattern, f'office:value="{new}"\\1><text:p>{new}</text:p>', text).encode()
            z.writestr(info, data)  # mimetype stays first and stored, as ODF requires
    target.write_bytes(buffer.getvalue())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "var", warehouse=tmp_path / "var" / "warehouse.duckdb", today_override=TODAY)
    s.ensure_dirs()
    return s


def one(settings: Settings, catalogue: Catalogue, path: Path) -> Outcome:
    (outcome,) = ingest([Incoming(path, "350102.amr")], settings, catalogue, actor="test")
    return outcome


def table(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def errors(outcome: Outcome) -> dict[str, str]:
    return {p.code: f"{p.message} {p.fix}" for p in outcome.receipt.problems if p.severity == "error"}


def assert_refused(settings: Settings, outcome: Outcome, code: str) -> str:
    """Refused whole, with a receipt and the file archived; returns the problem's message and fix."""
    assert outcome.status == "rejected", outcome.receipt.problems
    assert code in errors(outcome), errors(outcome)
    sid = outcome.receipt.submission_id
    assert table(settings, f"select count(*) from raw.submission_values where submission_id = '{sid}'") == [(0,)]
    assert outcome.receipt_path is not None and "未接收（退回）" in outcome.receipt_path.read_text(encoding="utf-8")
    (archived,) = table(settings, f"select archive_path from raw.submissions where submission_id = '{sid}'")[0]
    assert (settings.archive / archived).exists()
    return errors(outcome)[code]


# --- what LibreOffice saves is accepted like the .xlsx --------------------------------------------


@pytest.mark.parametrize("fmt", SAVED)
def test_form_saved_by_libreoffice_is_accepted_with_the_same_values_cells_and_receipt(
    settings, catalogue, saved, tmp_path, fmt
):
    original = fill(blank_form(catalogue, tmp_path / "t"), tmp_path / "original.xlsx", CREATION_VALUES)
    path = saved[("filled", fmt)]
    assert file_format(path.read_bytes(), path.name) == fmt
    outcome = one(settings, catalogue, path)
    assert outcome.status == "accepted", outcome.receipt.problems
    values = table(settings, "select element_code, value, sheet, cell from raw.submission_values")
    assert {code: int(value) for code, value, _, _ in values} == CREATION_VALUES
    book = openpyxl.load_workbook(original)
    assert {code: (sheet, cell) for code, _, sheet, cell in values} == {
        code: (layout.DATA_SHEET, f"D{row_of(book, code)}") for code in CREATION_VALUES
    }
    assert table(settings, "select file_format, filled_by, version from raw.submissions") == [(fmt, "陈填报", 1)]
    (archived,) = table(settings, "select archive_path from raw.submissions")[0]
    assert archived.endswith(f".{fmt}")
    text = outcome.receipt_path.read_text(encoding="utf-8")
    assert "已接收，为第 1 版" in text and "鼓楼区市场监督管理局" in text


def test_value_edited_and_resaved_as_xlsx_by_libreoffice_is_read_as_edited(settings, catalogue, saved):
    outcome = one(settings, catalogue, saved[("edited", "xlsx")])
    assert outcome.status == "accepted", outcome.receipt.problems
    rows = dict(table(settings, "select element_code, value from raw.submission_values"))
    assert int(rows["madrid_registrations"]) == 41
    assert {k: int(v) for k, v in rows.items() if k != "madrid_registrations"} == {
        k: v for k, v in CREATION_VALUES.items() if k != "madrid_registrations"
    }


@pytest.mark.parametrize("fmt", SAVED)
def test_hidden_row_holding_data_is_found_in_each_format(settings, catalogue, saved, fmt):
    assert_refused(settings, one(settings, catalogue, saved[("hidden", fmt)]), "hidden_cell")


@pytest.mark.parametrize("fmt", SAVED)
def test_merged_cells_holding_data_are_found_in_each_format(settings, catalogue, saved, fmt):
    assert_refused(settings, one(settings, catalogue, saved[("merged", fmt)]), "merged_cell")


@pytest.mark.parametrize("fmt", SAVED)
def test_formula_computed_by_libreoffice_is_used_with_a_warning(settings, catalogue, saved, fmt):
    outcome = one(settings, catalogue, saved[("formula", fmt)])
    assert outcome.status == "accepted", outcome.receipt.problems
    assert "formula" in {p.code for p in outcome.receipt.warnings}
    value = table(settings, "select value from raw.submission_values where element_code = 'madrid_registrations'")
    assert value == [(40,)]


@pytest.mark.parametrize("fmt", SAVED)
def test_lost_metadata_sheet_is_named_with_the_fix(settings, catalogue, saved, fmt):
    said = assert_refused(settings, one(settings, catalogue, saved[("nometa", fmt)]), "missing_metadata")
    assert "隐藏信息表已丢失" in said and "请在原模板中填报，另存为 .xlsx 或 .xls" in said


# --- .xlsb: LibreOffice cannot write it, so a pure-Python BIFF12 writer makes a real one ----------------


def _as_xlsb(source: Path, target: Path, keep_metadata: bool = True) -> Path:
    """Every sheet's cell values of `source` written into a real .xlsb (BIFF12 records) by pyxlsbwriter,
    the metadata sheet very hidden as in the template. Only values travel: no styles, protection or
    validation, as after a conversion by another program."""
    import struct

    import python_calamine
    from pyxlsbwriter import XlsbWriter

    book = python_calamine.CalamineWorkbook.from_path(str(source))
    names = [m.name for m in book.sheets_metadata if keep_metadata or m.name != layout.META_SHEET]
    with XlsbWriter(str(target)) as writer:
        for name in names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            writer.add_sheet(name, hidden=name == layout.META_SHEET)
            writer.write_sheet([[None if cell == "" else cell for cell in row] for row in rows])
    if keep_metadata:  # the writer knows only "hidden" (1); BrtBundleSh's hsState 2 is "very hidden"
        sheet_id = names.index(layout.META_SHEET) + 1
        r_id = f"rId{sheet_id}".encode("utf-16-le")
        hidden = struct.pack("<III", 1, sheet_id, len(r_id) // 2) + r_id
        with zipfile.ZipFile(target) as z:
            parts = [(info, z.read(info.filename)) for info in z.infolist()]
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in parts:
                if info.filename == "xl/workbook.bin":
                    assert data.count(hidden) == 1
                    data = data.replace(hidden, struct.pack("<I", 2) + hidden[4:])
                z.writestr(info, data)
    return target


def test_real_xlsb_with_its_very_hidden_metadata_is_accepted_like_the_xlsx(settings, catalogue, tmp_path):
    import python_calamine

    filled = fill(blank_form(catalogue, tmp_path / "t"), tmp_path / "filled.xlsx", CREATION_VALUES)
    xlsb = _as_xlsb(filled, tmp_path / "鼓楼_2026-10.xlsb")
    meta = next(
        m for m in python_calamine.CalamineWorkbook.from_path(str(xlsb)).sheets_metadata if m.name == layout.META_SHEET
    )
    assert str(meta.visible).endswith("VeryHidden")
    assert file_format(xlsb.read_bytes(), xlsb.name) == "xlsb"
    outcome = one(settings, catalogue, xlsb)
    assert outcome.status == "accepted", outcome.receipt.problems
    values = table(settings, "select element_code, value, sheet, cell from raw.submission_values")
    assert {code: int(value) for code, value, _, _ in values} == CREATION_VALUES
    book = openpyxl.load_workbook(filled)
    assert {code: cell for code, _, _, cell in values} == {code: f"D{row_of(book, code)}" for code in CREATION_VALUES}
    assert table(settings, "select file_format from raw.submissions") == [("xlsb",)]


def test_xlsb_without_its_metadata_sheet_is_named_with_the_fix(settings, catalogue, tmp_path):
    filled = fill(blank_form(catalogue, tmp_path / "t"), tmp_path / "filled.xlsx", CREATION_VALUES)
    xlsb = _as_xlsb(filled, tmp_path / "copied.xlsb", keep_metadata=False)
    said = assert_refused(settings, one(settings, catalogue, xlsb), "missing_metadata")
    assert "请在原模板中填报，另存为 .xlsx 或 .xls" in said


# --- formats told apart by their bytes, and what is refused -----------------------------------------


def test_xls_renamed_xlsx_is_read_as_the_xls_it_is(settings, catalogue, saved, tmp_path):
    renamed = tmp_path / "鼓楼_2026-10.xlsx"
    renamed.write_bytes(saved[("filled", "xls")].read_bytes())
    outcome = one(settings, catalogue, renamed)
    assert outcome.status == "accepted", outcome.receipt.problems
    assert table(settings, "select file_format from raw.submissions") == [("xls",)]


def test_macro_enabled_workbook_is_accepted(settings, catalogue, tmp_path):
    plain = fill(blank_form(catalogue, tmp_path / "t"), tmp_path / "plain.xlsx", CREATION_VALUES)
    xlsm = tmp_path / "鼓楼.xlsm"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 508)
    outcome = one(settings, catalogue, xlsm)
    assert outcome.status == "accepted", outcome.receipt.problems
    assert table(settings, "select file_format from raw.submissions") == [("xlsm",)]


def test_wps_et_file_is_refused_naming_the_format(settings, catalogue, saved, tmp_path):
    et = tmp_path / "鼓楼.et"
    et.write_bytes(saved[("filled", "xls")].read_bytes())  # WPS's .et shares the OLE container
    said = assert_refused(settings, one(settings, catalogue, et), "unsupported_format")
    assert "WPS 表格专有格式" in said and "另存为 .xlsx 或 .xls" in said


def test_numbers_file_is_refused_naming_the_format(settings, catalogue, tmp_path):
    numbers = tmp_path / "鼓楼.numbers"
    with zipfile.ZipFile(numbers, "w") as z:
        z.writestr("Index/Document.iwa", b"\x00\x01junk")
        z.writestr("Metadata/Properties.plist", b"<plist/>")
    said = assert_refused(settings, one(settings, catalogue, numbers), "unsupported_format")
    assert "Apple Numbers" in said


def test_word_document_is_refused_naming_the_format(settings, catalogue, tmp_path):
    docx = tmp_path / "报表.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    assert "Word 文档" in assert_refused(settings, one(settings, catalogue, docx), "not_a_spreadsheet")


def test_truncated_xls_is_refused_as_damaged(settings, catalogue, saved, tmp_path):
    data = saved[("filled", "xls")].read_bytes()
    for cut in (len(data) // 2, 600):
        broken = tmp_path / f"broken_{cut}.xls"
        broken.write_bytes(data[:cut])
        assert_refused(settings, one(settings, catalogue, broken), "corrupt_file")


def test_ods_that_is_a_zip_of_junk_is_refused_as_damaged(settings, catalogue, tmp_path):
    junk = tmp_path / "鼓楼.ods"
    with zipfile.ZipFile(junk, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", b"\x00\xffnot xml at all" * 50)
        z.writestr("META-INF/manifest.xml", b"junk")
    assert_refused(settings, one(settings, catalogue, junk), "corrupt_file")
