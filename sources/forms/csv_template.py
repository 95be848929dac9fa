"""The .csv form: one row per element with the identifying columns repeated (what export tools produce).

Columns are exactly `layout.CSV_COLUMNS` (plus a trailing `sample` column for sample data). Line
endings are CRLF, as Windows exports write them; the default encoding is UTF-8 with a BOM so Excel
opens the Chinese text correctly.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from sources.forms import layout
from sources.forms.spec import Assignment
from sources.forms.xlsx_template import Value, write_bytes_atomic
from sources.periods import Period

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk")
LINE_END = "\r\n"
SAMPLE_COLUMN = "sample"


def write_csv_form(
    assignment: Assignment,
    period: Period,
    out: Path | TextIO,
    *,
    values: Mapping[str, Value] | None = None,
    sample: bool = False,
    encoding: str = "utf-8-sig",
) -> None:
    """Write the CSV form for one department and period (value column blank when `values` is None).

    `encoding` applies when `out` is a Path (written atomically). A text stream keeps its own
    encoding and must be opened with newline="" so the CRLF line endings are not translated.
    """
    codec = _codec(encoding)
    text = render_csv_form(assignment, period, values=values, sample=sample)
    if isinstance(out, str | os.PathLike):
        write_bytes_atomic(Path(out), text.encode(codec))
    else:
        out.write(text)


def render_csv_form(
    assignment: Assignment,
    period: Period,
    *,
    values: Mapping[str, Value] | None = None,
    sample: bool = False,
) -> str:
    """The CSV text (see `write_csv_form`)."""
    form = assignment.form
    values = values or {}
    unknown = sorted(set(values) - set(form.element_codes))
    if unknown:
        raise ValueError(f"《{form.name}》没有这些指标：{'、'.join(unknown)}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=LINE_END)
    writer.writerow([*layout.CSV_COLUMNS, SAMPLE_COLUMN] if sample else layout.CSV_COLUMNS)
    ident = [form.code, str(form.template_version), assignment.region_code, assignment.department_code, period.code]
    for row in form.rows:
        line = [*ident, row.element.code, row.element.name, row.unit.name, plain_text(values.get(row.element.code))]
        writer.writerow([*line, "1"] if sample else line)
    return buffer.getvalue()


def plain_text(value: Value) -> str:
    """A value as it goes into the CSV: blank when unknown, numbers in plain notation (no exponent)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise TypeError(f"不支持的数值类型：{type(value).__name__}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"数值不是有限数：{value}")
        value = Decimal(repr(value))  # the shortest decimal that round-trips, not the binary expansion
    if not value.is_finite():
        raise ValueError(f"数值不是有限数：{value}")
    return format(value, "f")


def _codec(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    if name not in ENCODINGS:
        raise ValueError(f"不支持的编码：{encoding}（可用：{'、'.join(ENCODINGS)}）")
    return name
