"""The data behind a page, as CSV (UTF-8 with BOM, for Excel) and .xlsx. Text typed by departments or
copied from the catalogue is written as text, never as a formula."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import xlsxwriter

from monitoring_site.formatting import is_missing, plain

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    # A spreadsheet opening the CSV must not evaluate catalogue or submission text as a formula.
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write(rows: list[dict[str, Any]], folder: Path, name: str, title: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    csv_path, xlsx_path = folder / f"{name}.csv", folder / f"{name}.xlsx"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if is_missing(row.get(c)) else _safe(plain(row.get(c))) for c in columns])
    book = xlsxwriter.Workbook(str(xlsx_path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        sheet = book.add_worksheet("数据")
        bold = book.add_format({"bold": True})
        sheet.write_string(0, 0, title, bold)
        for j, column in enumerate(columns):
            sheet.write_string(1, j, column, bold)
        for i, row in enumerate(rows, start=2):
            for j, column in enumerate(columns):
                value = row.get(column)
                if is_missing(value):
                    continue
                value = plain(value)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.write_number(i, j, value)
                else:
                    sheet.write_string(i, j, str(value))
        sheet.set_column(0, max(len(columns) - 1, 0), 16)
        sheet.freeze_panes(2, 0)
    finally:
        book.close()
    return csv_path, xlsx_path
