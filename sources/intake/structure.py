"""The structural facts of a form's data sheet that python-calamine does not expose.

Hidden rows and columns, formulas (and whether they carry a cached value) and merged cells decide
whether a typed value can be trusted; calamine gives only values. Each workbook format keeps them
in its own place: the sheet XML of .xlsx/.xlsm, content.xml of .ods, the BIFF8 records of .xls.
For .xlsb only calamine's merged ranges are known (its binary records are not parsed here).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from xml.etree import ElementTree

import olefile

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_MAX_ROWS = 100_000  # a form has tens of rows; repeated empty rows beyond this are not expanded


@dataclass
class Structure:
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    formulas: set[tuple[int, int]] = field(default_factory=set)
    formulas_without_value: set[tuple[int, int]] = field(default_factory=set)
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


def xlsx_structure(archive: zipfile.ZipFile, sheet_name: str) -> Structure:
    """Hidden rows/columns, formulas and merges of one sheet, read from its XML part."""
    out = Structure()
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
                ref = parse_ref(cell.get("r", "A1"))
                out.formulas.add(ref)
                value = cell.find(f"{_NS}v")
                if value is None or (value.text or "") == "":
                    out.formulas_without_value.add(ref)
    for merge in root.iter(f"{_NS}mergeCell"):
        ref = merge.get("ref", "")
        if ":" in ref:
            first, last = ref.split(":", 1)
            out.merged.append((parse_ref(first), parse_ref(last)))
    return out


def ods_structure(archive: zipfile.ZipFile, sheet_name: str) -> Structure:
    """The same facts from an OpenDocument spreadsheet's content.xml (repeats counted, not expanded)."""
    out = Structure()
    try:
        root = ElementTree.fromstring(archive.read("content.xml"))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError):
        return out
    table = next((t for t in root.iter(f"{_TABLE}table") if t.get(f"{_TABLE}name") == sheet_name), None)
    if table is None:
        return out
    col = 0
    for column in table.iter(f"{_TABLE}table-column"):
        repeat = _repeat(column, "number-columns-repeated")
        if column.get(f"{_TABLE}visibility", "visible") != "visible":
            out.hidden_cols.update(range(col, min(col + repeat, _MAX_ROWS)))
        col += repeat
    r = 0
    for row in table.iter(f"{_TABLE}table-row"):
        repeat = _repeat(row, "number-rows-repeated")
        if r >= _MAX_ROWS:
            break
        if row.get(f"{_TABLE}visibility", "visible") != "visible":
            out.hidden_rows.update(range(r, min(r + repeat, _MAX_ROWS)))
        c = 0
        for cell in row:
            if cell.tag not in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
                continue
            span = _repeat(cell, "number-columns-repeated")
            if cell.get(f"{_TABLE}formula") is not None:
                out.formulas.add((r, c))
                if cell.get(f"{_OFFICE}value-type") is None:
                    out.formulas_without_value.add((r, c))
            cols = _repeat(cell, "number-columns-spanned")
            rows = _repeat(cell, "number-rows-spanned")
            if cols > 1 or rows > 1:
                out.merged.append(((r, c), (r + rows - 1, c + cols - 1)))
            c += span
        r += repeat
    return out


def xls_structure(data: bytes, sheet_name: str) -> Structure:
    """The same facts from the BIFF8 records of an Excel 97-2003 workbook (every formula carries a value)."""
    out = Structure()
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            stream_name = "Workbook" if ole.exists("Workbook") else "Book"
            stream = ole.openstream(stream_name).read()
    except (OSError, ValueError, IndexError, TypeError, AttributeError):
        return out
    offset = _biff_sheet_offset(stream, sheet_name)
    if offset is None:
        return out
    for kind, body in _biff_records(stream, offset):
        if kind == 0x000A:  # EOF of the sheet's substream
            break
        if kind == 0x0208 and len(body) >= 14:  # ROW: bit 5 of the flags is "height zero" (hidden)
            row, flags = struct.unpack_from("<H", body, 0)[0], struct.unpack_from("<H", body, 12)[0]
            if flags & 0x20:
                out.hidden_rows.add(row)
        elif kind == 0x007D and len(body) >= 10:  # COLINFO: bit 0 of the flags is hidden
            first, last, _, _, flags = struct.unpack_from("<5H", body, 0)
            if flags & 0x01:
                out.hidden_cols.update(range(first, min(last, 16383) + 1))
        elif kind == 0x0006 and len(body) >= 4:  # FORMULA: BIFF always stores the last result
            out.formulas.add(struct.unpack_from("<2H", body, 0))
        elif kind == 0x00E5 and len(body) >= 2:  # MERGEDCELLS
            (count,) = struct.unpack_from("<H", body, 0)
            for i in range(min(count, (len(body) - 2) // 8)):
                r0, r1, c0, c1 = struct.unpack_from("<4H", body, 2 + 8 * i)
                out.merged.append(((r0, c0), (r1, c1)))
    return out


def _biff_records(stream: bytes, offset: int):  # type: ignore[no-untyped-def]
    while offset + 4 <= len(stream):
        kind, length = struct.unpack_from("<2H", stream, offset)
        yield kind, stream[offset + 4 : offset + 4 + length]
        offset += 4 + length


def _biff_sheet_offset(stream: bytes, sheet_name: str) -> int | None:
    """The stream offset of a sheet's substream, from the BOUNDSHEET records of the globals."""
    for kind, body in _biff_records(stream, 0):
        if kind == 0x000A:
            return None
        if kind != 0x0085 or len(body) < 8:
            continue
        position, count, wide = struct.unpack_from("<I", body, 0)[0], body[6], body[7] & 0x01
        raw = body[8 : 8 + count * (2 if wide else 1)]
        name = raw.decode("utf-16-le" if wide else "latin-1", errors="replace")
        if name == sheet_name:
            return position
    return None


def _repeat(element: ElementTree.Element, attribute: str) -> int:
    try:
        return max(1, int(element.get(f"{_TABLE}{attribute}", "1")))
    except ValueError:
        return 1


def parse_ref(ref: str) -> tuple[int, int]:
    match = re.match(r"^([A-Z]+)(\d+)$", ref)
    if not match:
        return (-1, -1)
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1


def merged_from(ranges: list[tuple[tuple[int, int], tuple[int, int]]] | None) -> Structure:
    """What is known of an .xlsb sheet: calamine's merged ranges."""
    return Structure(merged=list(ranges or []))
