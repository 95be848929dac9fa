"""How `ipwh query` and `ipwh shell` print a result: numbers in their unit's precision, wide rows vertically.

DuckDB returns DECIMAL(38,12) as `2458.000000000000` and a zero as `0E-12`; an analyst reads
2458 and 0. A row that carries its unit (`unit_code`, `target_unit_code`) shows its figures with
that unit's decimals from the catalogue (units.csv); percentages (`*_pct`) with the % unit's; base
amounts (`*_base`), ratios (`*_ratio`) and any other number without trailing zeros. A result too
wide for the terminal is printed one record at a time (column: value), as psql's expanded mode
does, instead of 67 columns squeezed to empty boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from rich.console import Console
from rich.markup import escape
from rich.table import Table

# The unit column a row's figures are in, tried in this order.
UNIT_COLUMNS = ("unit_code", "target_unit_code")
PERCENT_UNIT = "percent"
FREE_SUFFIXES = ("_base", "_ratio")
FREE_DECIMALS = 4  # a number whose unit is unknown: at most this many places, trailing zeros dropped
# Wider than this many columns, or wider than the terminal, a result is printed record by record.
MAX_TABLE_COLUMNS = 12


@cache
def unit_decimals() -> dict[str, int]:
    """Decimals per unit code (and unit name) from the catalogue."""
    from sources.catalogue import load

    found: dict[str, int] = {}
    for row in load().rows("units"):
        found[row["unit_code"]] = int(row["decimals"])
        found.setdefault(row["unit_name"], int(row["decimals"]))
    return found


@dataclass(frozen=True)
class Formatter:
    columns: Sequence[str]
    decimals: dict[str, int]

    def row(self, values: Sequence[object]) -> list[str]:
        units = dict(zip(self.columns, values, strict=True))
        unit = next((units[c] for c in UNIT_COLUMNS if isinstance(units.get(c), str)), None)
        return [self.cell(name, value, unit) for name, value in zip(self.columns, values, strict=True)]

    def cell(self, column: str, value: object, unit: str | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, int):
            return str(value)
        if isinstance(value, Decimal | float):
            if column.endswith("pct"):
                places = self.decimals.get(PERCENT_UNIT)
            elif column.endswith(FREE_SUFFIXES):
                places = None  # base units (件, 人, 元) or a ratio: not in the row's unit
            else:
                places = self.decimals.get(unit) if unit else None
            return number_text(value, places)
        return str(value)


def number_text(value: Decimal | float, places: int | None) -> str:
    """`value` with `places` decimals (half up); with None, at most FREE_DECIMALS and no trailing zeros."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    if not number.is_finite():
        return str(value)
    if places is not None:
        return f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    text = f"{number.quantize(Decimal(1).scaleb(-FREE_DECIMALS), rounding=ROUND_HALF_UP):f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def formatter(columns: Sequence[str]) -> Formatter:
    return Formatter(tuple(columns), unit_decimals())


def fits_as_table(columns: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> bool:
    """Whether a plain table of these cells fits `width` characters (CJK counted double)."""
    if len(columns) > MAX_TABLE_COLUMNS:
        return False
    from rich.cells import cell_len

    widths = [cell_len(c) for c in columns]
    for row in rows:
        widths = [max(w, cell_len(v)) for w, v in zip(widths, row, strict=True)]
    return sum(widths) + 3 * len(widths) + 1 <= width


def print_result(
    console: Console, columns: Sequence[str], rows: Sequence[Sequence[object]], vertical: bool | None = None
) -> None:
    """A table when it fits (or `vertical=False`), otherwise one block per record."""
    fmt = formatter(columns)
    cells = [fmt.row(r) for r in rows]
    if vertical is None:
        vertical = not fits_as_table(columns, cells, console.width)
    if not vertical:
        table = Table(*[escape(c) for c in columns], show_lines=False)
        for row in cells:
            table.add_row(*[escape(v) for v in row])
        console.print(table)
        return
    from rich.cells import cell_len

    label_width = max((cell_len(c) for c in columns), default=0)
    for n, row in enumerate(cells, start=1):
        console.print(f"── 第 {n} 行 ──", markup=False)
        for name, value in zip(columns, row, strict=True):
            pad = " " * (label_width - cell_len(name))
            console.print(f"{name}{pad} │ {value}", markup=False, highlight=False)
