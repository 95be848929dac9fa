"""Intake end to end: a department's filled form in, raw rows and a receipt out; every bad input refused clearly."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from core.settings import Settings
from sources.catalogue import Catalogue
from sources.forms import layout
from sources.forms.csv_template import write_csv_form
from sources.forms.spec import assignment
from sources.intake.pipeline import Incoming, Outcome, inbox_files, ingest
from sources.periods import Period
from tests.form_files import (
    CREATION_VALUES,
    blank_form,
    dropped_at,
    element_codes,
    fill,
    get_meta,
    rewrite_data_sheet_xml,
    row_of,
    set_meta,
)
from tests.print_support import page_texts, require_soffice, to_pdf
from tests.warehouse_fixtures import mark_return_submitted

TODAY = date(2026, 11, 21)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "var", warehouse=tmp_path / "var" / "warehouse.duckdb", today_override=TODAY)
    s.ensure_dirs()
    return s


@pytest.fixture
def template(catalogue: Catalogue, tmp_path: Path) -> Path:
    return blank_form(catalogue, tmp_path / "templates")


def run(settings: Settings, catalogue: Catalogue, *paths: Path, department: str | None = "350102.amr") -> list[Outcome]:
    return ingest([Incoming(p, department) for p in paths], settings, catalogue, actor="test")


def one(settings: Settings, catalogue: Catalogue, path: Path, department: str | None = "350102.amr") -> Outcome:
    (outcome,) = run(settings, catalogue, path, department=department)
    return outcome


def codes(outcome: Outcome) -> set[str]:
    return {p.code for p in outcome.receipt.problems if p.severity == "error"}


def table(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def assert_rejected_whole(settings: Settings, outcome: Outcome, *expected: str) -> None:
    assert outcome.status == "rejected", outcome.receipt.problems
    assert set(expected) <= codes(outcome), codes(outcome)
    sid = outcome.receipt.submission_id
    assert table(settings, f"select count(*) from raw.submission_values where submission_id = '{sid}'") == [(0,)]
    assert outcome.receipt_path is not None and outcome.receipt_path.exists()
    text = outcome.receipt_path.read_text(encoding="utf-8")
    assert "未接收（退回）" in text and "修改方法" in text
    assert (
        settings.archive
        / table(settings, f"select archive_path from raw.submissions where submission_id = '{sid}'")[0][0]
    ).exists()


# --- the happy path ---------------------------------------------------------------------------


def test_department_fills_generated_template_with_openpyxl(settings, catalogue, template, tmp_path):
    filled = fill(template, tmp_path / "gulou_2026-10.xlsx", CREATION_VALUES)
    outcome = one(settings, catalogue, filled)
    assert outcome.status == "accepted", outcome.receipt.problems
    rows = dict(table(settings, "select element_code, value from raw.submission_values where period = '2026-10'"))
    assert {k: int(v) for k, v in rows.items()} == CREATION_VALUES
    sub = table(
        settings,
        "select form_code, department_code, region_code, period, version, outcome, filled_by, is_sample "
        "from raw.submissions",
    )
    assert sub == [("ip_creation_monthly", "350102.amr", "350102", "2026-10", 1, "accepted", "陈填报", False)]
    cell = table(settings, "select sheet, cell from raw.submission_values where element_code = 'patent_grants'")
    assert cell == [(layout.DATA_SHEET, f"D{row_of(openpyxl.load_workbook(filled), 'patent_grants')}")]
    text = outcome.receipt_path.read_text(encoding="utf-8")
    assert "已接收，为第 1 版" in text and "鼓楼区市场监督管理局" in text and "2026年10月" in text


def test_inbox_is_emptied_only_into_the_archive(settings, catalogue, template):
    folder = settings.inbox / "350102.amr"
    folder.mkdir(parents=True)
    filled = fill(template, folder / "十月.xlsx", CREATION_VALUES)
    (folder / "~$十月.xlsx").write_bytes(b"lock file")  # Excel's lock file is not a submission
    items = inbox_files(settings)
    assert [i.path.name for i in items] == ["十月.xlsx"] and items[0].inbox_department == "350102.amr"
    data = filled.read_bytes()
    (outcome,) = ingest(items, settings, catalogue, actor="test")
    assert outcome.status == "accepted"
    assert not filled.exists()
    archived = settings.archive / table(settings, "select archive_path from raw.submissions")[0][0]
    assert archived.read_bytes() == data


def test_normalised_cells_are_accepted(settings, catalogue, template, tmp_path):
    values = dict(CREATION_VALUES)
    values.update(
        {
            "patent_applications": "１,２００",  # full-width digits and a thousands separator
            "patent_grants": " 650 件 ",  # stray spaces and the row's own unit
            "valid_invention_patents": "9,800",
        }
    )
    outcome = one(settings, catalogue, fill(template, tmp_path / "f.xlsx", values))
    assert outcome.status == "accepted", outcome.receipt.problems
    got = dict(table(settings, "select element_code, value from raw.submission_values"))
    assert got["patent_applications"] == 1200 and got["patent_grants"] == 650 and got["valid_invention_patents"] == 9800


# --- files that are not forms -------------------------------------------------------------------


def test_renamed_pdf(settings, catalogue, tmp_path):
    path = tmp_path / "报表.xlsx"
    path.write_bytes(b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n")
    assert_rejected_whole(settings, one(settings, catalogue, path), "not_a_spreadsheet")


def test_corrupt_zip(settings, catalogue, template, tmp_path):
    data = fill(template, tmp_path / "ok.xlsx", CREATION_VALUES).read_bytes()
    path = tmp_path / "broken.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert_rejected_whole(settings, one(settings, catalogue, path), "corrupt_file")


def test_password_protected_workbook(settings, catalogue, template, tmp_path):
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = fill(template, tmp_path / "plain.xlsx", CREATION_VALUES)
    locked = tmp_path / "locked.xlsx"
    with plain.open("rb") as source, locked.open("wb") as target:
        OOXMLFile(source).encrypt("secret", target)
    assert msoffcrypto  # the real library made a real encrypted workbook
    assert_rejected_whole(settings, one(settings, catalogue, locked), "password_protected")


def test_zip_bomb_is_refused_by_ratio(settings, catalogue, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 64 * 1024
    assert_rejected_whole(settings, one(settings, catalogue, path), "zip_limits")


def test_empty_file(settings, catalogue, tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert_rejected_whole(settings, one(settings, catalogue, path), "empty_file")


def test_workbook_that_is_not_our_template(settings, catalogue, tmp_path):
    book = openpyxl.Workbook()
    book.active["A1"] = "专利申请量"
    book.active["B1"] = 100
    path = tmp_path / "own_layout.xlsx"
    book.save(path)
    assert_rejected_whole(settings, one(settings, catalogue, path), "not_our_template")


# --- identity: form, department, version, metadata, period --------------------------------------


def test_form_of_another_department(settings, catalogue, tmp_path):
    other = blank_form(catalogue, tmp_path, region="350103")  # Taijiang's template
    path = fill(other, tmp_path / "taijiang.xlsx", CREATION_VALUES)
    assert_rejected_whole(settings, one(settings, catalogue, path, department="350102.amr"), "inbox_mismatch")


def test_old_template_version(settings, catalogue, template, tmp_path):
    def old_version(book: openpyxl.Workbook) -> None:
        set_meta(book, "template_version", "0")
        meta = get_meta(book)
        found = assignment(catalogue, "ip_creation_monthly", "350102")
        set_meta(book, "checksum", layout.meta_checksum(meta, found.form.element_codes))

    path = fill(template, tmp_path / "old.xlsx", CREATION_VALUES, old_version)
    assert_rejected_whole(settings, one(settings, catalogue, path), "template_version")


def test_missing_metadata(settings, catalogue, template, tmp_path):
    path = fill(template, tmp_path / "nometa.xlsx", CREATION_VALUES, lambda b: b.remove(b[layout.META_SHEET]))
    assert_rejected_whole(settings, one(settings, catalogue, path), "missing_metadata")


def test_edited_metadata(settings, catalogue, template, tmp_path):
    # Last month's form reused with its period typed over.
    path = fill(template, tmp_path / "edited.xlsx", CREATION_VALUES, lambda b: set_meta(b, "period", "2026-09"))
    assert_rejected_whole(settings, one(settings, catalogue, path), "metadata_edited")


def test_period_not_yet_ended(settings, catalogue, tmp_path):
    current = blank_form(catalogue, tmp_path, period="2026-11")
    path = fill(current, tmp_path / "nov.xlsx", CREATION_VALUES)
    assert_rejected_whole(settings, one(settings, catalogue, path), "period_not_ended")


def test_period_already_locked(settings, catalogue, template, tmp_path):
    first = one(settings, catalogue, fill(template, tmp_path / "v1.xlsx", CREATION_VALUES))
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(
            "insert into raw.submission_events values (?, 'locked', now()::timestamp, 'test', '随报表上报')",
            [first.receipt.submission_id],
        )
    again = dict(CREATION_VALUES, trademark_applications=901)
    second = one(settings, catalogue, fill(template, tmp_path / "v2.xlsx", again))
    assert_rejected_whole(settings, second, "period_locked")


def test_a_form_for_a_period_inside_a_submitted_return_is_rejected_with_a_chinese_reason(
    settings, catalogue, template, tmp_path
):
    # No version of this department's form went into the return, yet the month is closed for everyone.
    mark_return_submitted(settings.warehouse, "2026-10")
    outcome = one(settings, catalogue, fill(template, tmp_path / "late.xlsx", CREATION_VALUES))
    assert_rejected_whole(settings, outcome, "period_locked")
    (problem,) = [p for p in outcome.receipt.problems if p.code == "period_locked"]
    assert "2026年10月的数据已锁定（2026年10月的上报报表已报送）" in problem.message


# --- rows and cells ---------------------------------------------------------------------------


def test_deleted_row(settings, catalogue, template, tmp_path):
    def delete(book: openpyxl.Workbook) -> None:
        book[layout.DATA_SHEET].delete_rows(row_of(book, "patent_grants_design"))

    outcome = one(settings, catalogue, fill(template, tmp_path / "deleted.xlsx", CREATION_VALUES, delete))
    assert_rejected_whole(settings, outcome, "missing_row")


def test_inserted_row_with_data(settings, catalogue, template, tmp_path):
    def insert(book: openpyxl.Workbook) -> None:
        sheet = book[layout.DATA_SHEET]
        at = row_of(book, "patent_grants")
        sheet.insert_rows(at)
        sheet.cell(row=at, column=1).value = "其中：高校"
        sheet.cell(row=at, column=layout.COL_VALUE + 1).value = 30

    outcome = one(settings, catalogue, fill(template, tmp_path / "inserted.xlsx", CREATION_VALUES, insert))
    assert_rejected_whole(settings, outcome, "row_without_code")


def test_rows_moved_are_still_read_by_code(settings, catalogue, template, tmp_path):
    def insert_blank(book: openpyxl.Workbook) -> None:
        book[layout.DATA_SHEET].insert_rows(row_of(book, "patent_grants"))  # an empty row: harmless

    outcome = one(settings, catalogue, fill(template, tmp_path / "moved.xlsx", CREATION_VALUES, insert_blank))
    assert outcome.status == "accepted", outcome.receipt.problems


@pytest.mark.parametrize("text", ["约100", "N/A", "—"])
def test_text_in_numeric_cell(settings, catalogue, template, tmp_path, text):
    values = dict(CREATION_VALUES, madrid_registrations=text)
    outcome = one(settings, catalogue, fill(template, tmp_path / "text.xlsx", values))
    assert_rejected_whole(settings, outcome, "not_a_number")
    (problem,) = [p for p in outcome.receipt.problems if p.code == "not_a_number"]
    assert problem.found == text and problem.cell and problem.cell.startswith("D")
    assert problem.element_code == "madrid_registrations"


def test_negative_count(settings, catalogue, template, tmp_path):
    values = dict(CREATION_VALUES, madrid_registrations=-3)
    assert_rejected_whole(
        settings, one(settings, catalogue, fill(template, tmp_path / "neg.xlsx", values)), "below_min"
    )


def test_decimal_where_count_expected(settings, catalogue, template, tmp_path):
    values = dict(CREATION_VALUES, madrid_registrations=40.5)
    assert_rejected_whole(
        settings, one(settings, catalogue, fill(template, tmp_path / "dec.xlsx", values)), "not_whole"
    )


def test_percentage_over_100(settings, catalogue, tmp_path):
    blank = blank_form(catalogue, tmp_path, form_code="ip_work_annual", period="2025")
    found = assignment(catalogue, "ip_work_annual", "350102")
    values: dict[str, object] = {code: 0 for code in found.form.element_codes}
    values["ip_protection_satisfaction"] = 120
    outcome = one(settings, catalogue, fill(blank, tmp_path / "pct.xlsx", values))
    assert_rejected_whole(settings, outcome, "above_max")


def test_wrong_unit_suffix(settings, catalogue, template, tmp_path):
    values = dict(CREATION_VALUES, madrid_registrations="40万元")
    outcome = one(settings, catalogue, fill(template, tmp_path / "unit.xlsx", values))
    assert_rejected_whole(settings, outcome, "wrong_unit")


def test_formula_with_cached_value_is_used(settings, catalogue, template, tmp_path):
    path = fill(template, tmp_path / "formula.xlsx", CREATION_VALUES)
    row = row_of(openpyxl.load_workbook(path), "madrid_registrations")

    def add_formula(xml: str) -> str:
        import re

        return re.sub(rf'<c r="D{row}"([^>]*)><v>40</v></c>', rf'<c r="D{row}"\1><f>30+10</f><v>40</v></c>', xml)

    rewrite_data_sheet_xml(path, add_formula)
    outcome = one(settings, catalogue, path)
    assert outcome.status == "accepted", outcome.receipt.problems
    assert "formula" in {p.code for p in outcome.receipt.warnings}
    assert table(settings, "select value from raw.submission_values where element_code = 'madrid_registrations'") == [
        (40,)
    ]


def test_formula_without_cached_value(settings, catalogue, template, tmp_path):
    values = dict(CREATION_VALUES, madrid_registrations="=30+10")  # openpyxl saves formulas without results
    outcome = one(settings, catalogue, fill(template, tmp_path / "nocache.xlsx", values))
    assert_rejected_whole(settings, outcome, "formula_no_value")


def test_hidden_row_holding_data(settings, catalogue, template, tmp_path):
    def hide(book: openpyxl.Workbook) -> None:
        book[layout.DATA_SHEET].row_dimensions[row_of(book, "madrid_registrations")].hidden = True

    outcome = one(settings, catalogue, fill(template, tmp_path / "hidden.xlsx", CREATION_VALUES, hide))
    assert_rejected_whole(settings, outcome, "hidden_cell")


def test_merged_cells_holding_data(settings, catalogue, template, tmp_path):
    def merge(book: openpyxl.Workbook) -> None:
        row = row_of(book, "madrid_registrations")
        book[layout.DATA_SHEET].merge_cells(start_row=row, start_column=4, end_row=row + 1, end_column=4)

    outcome = one(settings, catalogue, fill(template, tmp_path / "merged.xlsx", CREATION_VALUES, merge))
    assert_rejected_whole(settings, outcome, "merged_cell")


def test_duplicate_element_rows(settings, catalogue, template, tmp_path):
    def duplicate(book: openpyxl.Workbook) -> None:
        sheet = book[layout.DATA_SHEET]
        sheet.cell(row=row_of(book, "madrid_registrations"), column=layout.COL_CODE + 1).value = "valid_trademarks"

    outcome = one(settings, catalogue, fill(template, tmp_path / "dup.xlsx", CREATION_VALUES, duplicate))
    assert_rejected_whole(settings, outcome, "duplicate_element")


def test_form_rule_error_rejects_and_warning_passes(settings, catalogue, template, tmp_path):
    bad_sum = dict(CREATION_VALUES, patent_grants=651)
    outcome = one(settings, catalogue, fill(template, tmp_path / "sum.xlsx", bad_sum))
    assert_rejected_whole(settings, outcome, "rule:grants_by_type_sum")
    (problem,) = [p for p in outcome.receipt.problems if p.code == "rule:grants_by_type_sum"]
    assert "651" in problem.message and "650" in problem.message
    many_pct = dict(CREATION_VALUES, pct_applications=1300)  # warning rule: PCT ≤ applications
    outcome = one(settings, catalogue, fill(template, tmp_path / "pct.xlsx", many_pct))
    assert outcome.status == "accepted" and "rule:pct_le_applications" in {p.code for p in outcome.receipt.warnings}


def test_over_long_text(settings, catalogue, template, tmp_path):
    def long_name(book: openpyxl.Workbook) -> None:
        sheet = book[layout.DATA_SHEET]
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == "填表人：":
                    sheet.cell(row=cell.row, column=cell.column + 1).value = "很长" * 5000

    values = dict(CREATION_VALUES, madrid_registrations="9" * 40000)
    outcome = one(settings, catalogue, fill(template, tmp_path / "long.xlsx", values, long_name))
    assert_rejected_whole(settings, outcome, "text_too_long", "too_many_digits")
    for problem in outcome.receipt.problems:
        assert problem.found is None or len(problem.found) < 100


def test_odd_file_names_stay_inside_the_archive(settings, catalogue, template, tmp_path):
    odd = tmp_path / "..%2F..%2Fetc" / "报表 (1)；rm -rf *\t\n.xlsx"
    fill(template, odd, CREATION_VALUES)
    outcome = one(settings, catalogue, odd)
    assert outcome.status == "accepted"
    name, archive_path = table(settings, "select file_name, archive_path from raw.submissions")[0]
    assert "\n" not in name and "/" not in name
    assert (settings.archive / archive_path).resolve().is_relative_to(settings.archive.resolve())


# --- CSV --------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_with_crlf(settings, catalogue, tmp_path, encoding):
    found = assignment(catalogue, "ip_creation_monthly", "350102")
    path = tmp_path / f"export_{encoding}.csv"
    write_csv_form(found, Period.parse("2026-10"), path, values=CREATION_VALUES, encoding=encoding)
    assert b"\r\n" in path.read_bytes()
    outcome = one(settings, catalogue, path)
    assert outcome.status == "accepted", outcome.receipt.problems
    assert table(settings, "select count(*), any_value(sheet) from raw.submission_values") == [(17, "csv")]


def test_csv_with_wrong_header(settings, catalogue, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("指标,数值\r\n专利申请量,100\r\n", encoding="gbk")
    assert_rejected_whole(settings, one(settings, catalogue, path), "not_our_template")


# --- the same file twice, and versions --------------------------------------------------------


def test_same_file_twice_is_a_noop(settings, catalogue, template, tmp_path):
    path = fill(template, tmp_path / "once.xlsx", CREATION_VALUES)
    first = one(settings, catalogue, path)
    second = one(settings, catalogue, path)
    assert first.status == "accepted" and second.status == "duplicate"
    assert first.receipt.submission_id in second.receipt.verdict()
    assert table(settings, "select count(*) from raw.submissions") == [(1,)]
    assert table(settings, "select count(*) from raw.submission_values") == [(17,)]


def test_two_versions_minutes_apart(settings, catalogue, template, tmp_path):
    v1 = fill(template, tmp_path / "v1.xlsx", CREATION_VALUES)
    v2 = fill(template, tmp_path / "v2.xlsx", dict(CREATION_VALUES, valid_invention_patents=9850))
    base = 1_793_000_000  # 2026-10-26
    os.utime(v1, (base, base))
    os.utime(v2, (base + 240, base + 240))
    second, first = run(settings, catalogue, v2, v1)[::-1]  # arrival order, not argument order
    assert (first.receipt.version, second.receipt.version) == (1, 2)
    assert second.receipt.superseded == first.receipt.submission_id
    events = table(settings, "select submission_id, status from raw.submission_events order by event_at, status")
    assert (first.receipt.submission_id, "superseded") in events
    latest = table(
        settings,
        "select value from raw.submission_values where element_code = 'valid_invention_patents' order by version",
    )
    assert latest == [(9800,), (9850,)]


def test_a_batch_with_one_bad_file_keeps_the_good_ones(settings, catalogue, template, tmp_path):
    good = fill(template, tmp_path / "good.xlsx", CREATION_VALUES)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    outcomes = run(settings, catalogue, good, bad)
    assert sorted(o.status for o in outcomes) == ["accepted", "rejected"]
    assert table(settings, "select outcome, count(*) from raw.submissions group by all order by 1") == [
        ("accepted", 1),
        ("rejected", 1),
    ]


def test_rejected_file_sent_again_unchanged_is_a_noop(settings, catalogue, template, tmp_path):
    path = fill(template, tmp_path / "bad.xlsx", dict(CREATION_VALUES, patent_grants=651))
    first = one(settings, catalogue, path)
    second = one(settings, catalogue, path)
    assert (first.status, second.status) == ("rejected", "duplicate")
    assert "已退回" in second.receipt.verdict()
    assert table(settings, "select count(*) from raw.submissions") == [(1,)]


def test_file_sent_before_its_period_ended_is_judged_again_later(settings, catalogue, tmp_path):
    early = fill(blank_form(catalogue, tmp_path, period="2026-11"), tmp_path / "nov.xlsx", CREATION_VALUES)
    dropped_at(early, datetime(2026, 11, 21, 9, 0))
    assert one(settings, catalogue, early).status == "rejected"
    later = Settings(home=settings.home, warehouse=settings.warehouse, today_override=date(2026, 12, 2))
    dropped_at(early, datetime(2026, 12, 2, 0, 0))  # sent again on 2 December
    again = one(later, catalogue, early)
    assert again.status == "accepted", again.receipt.problems
    assert one(later, catalogue, early).status == "duplicate"
    # Each attempt is received on the day it was made: refused on the 21st, taken on 2 December.
    assert table(settings, "select outcome, received_at::date from raw.submissions order by received_at") == [
        ("rejected", date(2026, 11, 21)),
        ("accepted", date(2026, 12, 2)),
    ]


# --- templates made before display codes, and the receipt as a clerk prints it -----------------


def test_template_with_element_codes_in_the_code_column_is_still_read(settings, catalogue, template, tmp_path):
    """Templates made before the 代码 column showed 01, 02 … carry element codes there; the version and
    checksum are unchanged, so intake reads them as before."""

    def old_codes(book: openpyxl.Workbook) -> None:
        codes = element_codes(book)
        for row in book[layout.DATA_SHEET].iter_rows():
            cell = row[layout.COL_CODE]
            if cell.value in codes:
                cell.value = codes[cell.value]

    path = fill(template, tmp_path / "old_layout.xlsx", CREATION_VALUES, old_codes)
    assert "patent_grants" in {c.value for r in openpyxl.load_workbook(path)[layout.DATA_SHEET].iter_rows() for c in r}
    outcome = one(settings, catalogue, path)
    assert outcome.status == "accepted", outcome.receipt.problems
    got = dict(table(settings, "select element_code, value from raw.submission_values"))
    assert got["patent_grants"] == 650 and len(got) == len(CREATION_VALUES)


def test_display_code_not_on_the_form_is_refused(settings, catalogue, template, tmp_path):
    def renumber(book: openpyxl.Workbook) -> None:
        book[layout.DATA_SHEET].cell(row=row_of(book, "madrid_registrations"), column=layout.COL_CODE + 1).value = "99"

    outcome = one(settings, catalogue, fill(template, tmp_path / "renumbered.xlsx", CREATION_VALUES, renumber))
    assert_rejected_whole(settings, outcome, "unknown_element")


def test_form_rule_problem_reads_as_words(settings, catalogue, template, tmp_path):
    outcome = one(settings, catalogue, fill(template, tmp_path / "sum.xlsx", dict(CREATION_VALUES, patent_grants=651)))
    (problem,) = [p for p in outcome.receipt.problems if p.code == "rule:grants_by_type_sum"]
    assert "不成立" not in problem.found and " = " not in problem.found
    assert "外观设计专利授权量之和（650）应等于专利授权量（651），相差 1" in problem.found


def test_receipt_workbook_prints_on_a4_one_page_wide_with_whole_problems(settings, catalogue, template, tmp_path):
    # Form rules are checked only when every cell is valid: one rule error and one rule warning.
    values = dict(CREATION_VALUES, patent_grants=651, pct_applications=1300)
    outcome = one(settings, catalogue, fill(template, tmp_path / "many.xlsx", values))
    assert outcome.status == "rejected" and len(outcome.receipt.problems) == 2
    path = outcome.receipt_path.with_suffix(".xlsx")
    ws = openpyxl.load_workbook(path)["回执"]
    assert (int(ws.page_setup.paperSize), ws.page_setup.orientation) == (9, "landscape")  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)  # 1 is the default, left out
    header = next(r for r in ws.iter_rows() if r[0].value == "序号")
    assert ws.print_title_rows == f"${header[0].row}:${header[0].row}"
    names = [c.value for c in header]
    rows = [r for r in ws.iter_rows(min_row=header[0].row + 1) if isinstance(r[0].value, int)]
    assert len(rows) == len(outcome.receipt.problems)
    for r in rows:
        values = dict(zip(names, (c.value for c in r), strict=True))
        assert values["工作表"] and not str(values["工作表"]).endswith("!")
        assert all(c.alignment.wrap_text for c in r[2:])
        assert ws.row_dimensions[r[0].row].height >= 18
    require_soffice()
    pages = page_texts(to_pdf(path, tmp_path / "pdf"))
    assert len(pages) == 1, len(pages)
    text = pages[0]
    assert "修改方法" in text and "序号" in text  # every column on the one page
    assert "应等于" in text and "应不大于" in text and "不成立" not in text
    flat = text.replace(" ", "").replace("\n", "")
    for p in outcome.receipt.problems:  # every character printed, in order (lines of other cells between)
        for wanted in (p.message, p.fix, p.found or ""):
            printed = iter(flat)
            assert all(ch in printed for ch in wanted.replace(" ", "")), wanted
