"""Build filled and deliberately broken form files the way departments produce them."""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl

from core.settings import TIMEZONE
from sources.catalogue import Catalogue
from sources.catalogue import load as load_catalogue
from sources.forms import layout
from sources.forms.spec import FormError, assignment, form_spec
from sources.forms.xlsx_template import write_xlsx_form
from sources.periods import Period

# A consistent month for Gulou's creation form: parts add up to totals, invention ≤ all grants.
CREATION_VALUES: dict[str, int] = {
    "patent_applications": 1200,
    "patent_applications_invention": 500,
    "patent_applications_utility": 400,
    "patent_applications_design": 300,
    "patent_grants": 650,
    "patent_grants_invention": 150,
    "patent_grants_utility": 350,
    "patent_grants_design": 150,
    "valid_invention_patents": 9800,
    "high_value_invention_patents": 4100,
    "pct_applications": 12,
    "patent_applications_abroad": 8,
    "trademark_applications": 900,
    "trademark_registrations": 700,
    "valid_trademarks": 52000,
    "madrid_registrations": 40,
    "geographical_indication_trademarks": 3,
}


def blank_form(
    catalogue: Catalogue,
    folder: Path,
    form_code: str = "ip_creation_monthly",
    region: str = "350102",
    period: str = "2026-10",
    department: str | None = None,
) -> Path:
    found = assignment(catalogue, form_code, region, department)
    path = folder / f"blank_{form_code}_{region}_{period}.xlsx"
    write_xlsx_form(found, Period.parse(period, found.form.period_type), path)
    return path


def fill(
    template: Path,
    out: Path,
    values: dict[str, object],
    edit: Callable[[openpyxl.Workbook], None] | None = None,
) -> Path:
    """Type values into column D by element code, as a department would in Excel, and save."""
    book = openpyxl.load_workbook(template)
    sheet = book[layout.DATA_SHEET]
    codes = element_codes(book)
    for row in sheet.iter_rows():
        code = codes.get(row[layout.COL_CODE].value, row[layout.COL_CODE].value)
        if code in values:
            sheet.cell(row=row[0].row, column=layout.COL_VALUE + 1).value = values[code]
    for cell_label, key in layout.SIGNATURE_LABELS.items():
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == cell_label:
                    sheet.cell(row=cell.row, column=cell.column + 1).value = {
                        "head_of_unit": "王主任",
                        "head_of_statistics": "李科长",
                        "filled_by": "陈填报",
                        "phone": "0591-87654321",
                        "reported_on": "2026-11-05",
                    }[key]
    if edit:
        edit(book)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out


def element_codes(book: openpyxl.Workbook) -> dict[str, str]:
    """The form's display codes (01, 02 … in the 代码 column) -> element codes, from the catalogue."""
    meta = {row[0].value: row[1].value for row in book[layout.META_SHEET].iter_rows()}
    try:
        form = form_spec(load_catalogue(), str(meta.get("form_code")))
    except FormError:
        return {}
    return {layout.display_code(r.row_no): r.element.code for r in form.rows}


def row_of(book: openpyxl.Workbook, element_code: str) -> int:
    """The 1-based row of an element, found by its code in column B (display code or element code)."""
    sheet = book[layout.DATA_SHEET]
    codes = element_codes(book)
    for row in sheet.iter_rows():
        value = row[layout.COL_CODE].value
        if value == element_code or codes.get(value) == element_code:
            return row[0].row
    raise KeyError(element_code)


def set_meta(book: openpyxl.Workbook, key: str, value: str) -> None:
    for row in book[layout.META_SHEET].iter_rows():
        if row[0].value == key:
            row[1].value = value
            return
    raise KeyError(key)


def get_meta(book: openpyxl.Workbook) -> dict[str, str]:
    return {str(r[0].value): str(r[1].value) for r in book[layout.META_SHEET].iter_rows() if r[0].value}


def rewrite_data_sheet_xml(path: Path, change: Callable[[str], str]) -> None:
    """Edit the data sheet's XML in place (for what openpyxl cannot write, e.g. cached formula values)."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    workbook = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rel_id = re.search(rf'<sheet [^>]*name="{layout.DATA_SHEET}"[^>]*r:id="([^"]+)"', workbook)
    assert rel_id, "data sheet not found in workbook.xml"
    target = re.search(rf'Id="{rel_id.group(1)}"[^>]*Target="([^"]+)"', rels) or re.search(
        rf'Target="([^"]+)"[^>]*Id="{rel_id.group(1)}"', rels
    )
    assert target
    name = target.group(1).lstrip("/")
    name = name if name.startswith("xl/") else f"xl/{name}"
    parts[name] = change(parts[name].decode()).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target_zip:
        for filename, data in parts.items():
            target_zip.writestr(filename, data)
    path.write_bytes(buffer.getvalue())


def dropped_at(path: Path, at: datetime) -> Path:
    """Pin when a file reached the inbox (its modification time, Asia/Shanghai): never the wall clock."""
    stamp = at.replace(tzinfo=TIMEZONE).timestamp()
    os.utime(path, (stamp, stamp))
    return path
