"""Where a printed sheet breaks into pages, estimated ahead so a block never lands on a page alone.

A statistical form prints its header rows again on every page. When the signature block or the
说明 below the table spill onto a page of their own, that page shows the header over no rows, and a
signature block can split across two pages. Neither Excel nor LibreOffice can "keep with next", so
the writers estimate the pagination from the row heights and column widths they set themselves,
move the last data row to the block's page when the block would be left alone, and set every page
break explicitly, so the printer follows the estimate instead of breaking a row later.

The estimate is deliberately on the safe side (each page holds a little less than it could); the
constants were measured on LibreOffice 7.4 PDFs of A4 landscape sheets, and the printed layout is
checked by the PDF tests in tests/test_templates.py, tests/test_returns_build.py and
tests/test_intake.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from xlsxwriter.worksheet import Worksheet

A4_LANDSCAPE_POINTS = (841.89, 595.28)
POINTS_PER_WIDTH_UNIT = 7.0  # one column-width unit as LibreOffice prints the CJK default font
WIDTH_PADDING_UNITS = 5 / 7  # the cell padding xlsxwriter adds to every column width
DEFAULT_ROW_POINTS = 13.5  # rows never sized (the workbooks' default row height of 18 px)
LIBREOFFICE_EXTRA_POINTS = 6.7  # LibreOffice prints a little into the margins when a header/footer is set
SAFETY = 0.99  # keep 1% of each page in reserve: estimate errors must err towards an early break


LINE_POINTS = 14.5  # one wrapped line of 11-point 宋体, as LibreOffice and Excel print it


def display_width(text: str) -> float:
    """Width in column-width units (one digit = 1): CJK and full-width characters count about two."""
    return sum(2.0 if ord(ch) > 0x2E7F else 1.1 for ch in text)


def text_lines(value: object, width: float, *, font_scale: float = 1.0) -> int:
    """How many lines `value` wraps to in a column `width` wide (explicit line breaks included)."""
    if value is None:
        return 1
    usable = max(width - 1.5, 1.0)
    return sum(max(1, math.ceil(display_width(part) * font_scale / usable)) for part in str(value).split("\n"))


def row_height(lines: int, *, minimum: float = 18, line_points: float = LINE_POINTS) -> float:
    """A row tall enough for `lines` wrapped lines: LibreOffice prints a fixed height as given."""
    return max(minimum, min(line_points * lines + 5, 409))


def print_scale(widths: Sequence[float], left_right_margin_inches: float) -> float:
    """The zoom of a sheet fitted to one A4 landscape page width (never above 100%)."""
    printable = A4_LANDSCAPE_POINTS[0] - 2 * 72 * left_right_margin_inches
    total = POINTS_PER_WIDTH_UNIT * sum(w + WIDTH_PADDING_UNITS for w in widths)
    return min(1.0, printable / total) if total else 1.0


def body_points(top_bottom_margin_inches: float) -> float:
    """The printable height of an A4 landscape page, less the reserve."""
    return (A4_LANDSCAPE_POINTS[1] - 2 * 72 * top_bottom_margin_inches + LIBREOFFICE_EXTRA_POINTS) * SAFETY


def row_heights(sheet: Worksheet, last_row: int) -> list[float]:
    """The height in points of rows 0..last_row as the writer set them (default where it did not)."""
    info: Mapping[int, object] = sheet.row_info
    out = []
    for r in range(last_row + 1):
        pixels = getattr(info.get(r), "height", None)  # xlsxwriter keeps set_row heights in pixels
        out.append(float(pixels) * 0.75 if pixels is not None else DEFAULT_ROW_POINTS)
    return out


def pages_of(heights: Sequence[float], repeated: range, capacity: float, forced: Sequence[int] = ()) -> list[int]:
    """The page (0-based) each row prints on; `repeated` rows are printed again atop every later page
    and a new page starts at each row in `forced`."""
    again = sum(heights[r] for r in repeated)
    page, used, out = 0, 0.0, []
    for r, height in enumerate(heights):
        full = used + height > capacity and used > (again if page else 0)
        if full or (r in forced and r > 0):
            page, used = page + 1, again
        used += height
        out.append(page)
    return out


def page_breaks(
    heights: Sequence[float],
    repeated: range,
    last_data: int,
    block_end: int,
    capacity: float,
) -> list[int]:
    """The rows each page after the first starts at, to be set as manual breaks.

    Every break is set explicitly: with the estimate on the safe side each page's rows fit, so the
    printer follows these breaks instead of finding its own a row later or earlier. When the block
    after the table (signature, notes: rows last_data+1..block_end) would start or end on a page
    without data rows, the last data row moves to the next page with it, so no page shows the
    header over no rows and the block is not split (unless it is taller than a page on its own).
    """
    rows = heights[: block_end + 1]
    pages = pages_of(rows, repeated, capacity)
    forced: list[int] = []
    first_data = repeated.stop if repeated else 0
    if last_data > first_data and pages[block_end] != pages[last_data]:
        forced = [last_data]
        pages = pages_of(rows, repeated, capacity, forced)
    return [r for r in range(1, len(pages)) if pages[r] != pages[r - 1]]
