"""Turn what a department typed into an exact number, or say precisely why not.

Accepted variations: full-width digits and punctuation, thousands separators, stray spaces
(including the ideographic space), and a trailing unit that matches the element's own unit
(件, 万元, %, …). Anything else that is not a plain number is refused, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_PLACEHOLDERS = {"-", "--", "—", "——", "/", "\\", "n/a", "na", "none", "null", "无", "不详", "空", "x", "×"}
# Units a department might type after a figure; any of them other than the element's own is a unit slip.
_KNOWN_UNITS = (
    "万件",
    "件",
    "家",
    "个",
    "项",
    "次",
    "批次",
    "笔",
    "人次",
    "万人",
    "人",
    "亿元",
    "万元",
    "元",
    "%",
    "％",
)


@dataclass(frozen=True)
class Parsed:
    value: Decimal | None  # None: the cell is blank
    problem: str | None = None  # problem code when the text is not usable
    detail: str = ""  # extra words for the receipt (e.g. the unit found)


def parse_number(raw: object, unit_name: str) -> Parsed:
    """Parse one cell (from calamine or a CSV field) in the context of its element's unit."""
    if raw is None:
        return Parsed(None)
    if isinstance(raw, bool):
        return Parsed(None, "not_a_number", "逻辑值")
    if isinstance(raw, int):
        return Parsed(Decimal(raw))
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return Parsed(None, "not_a_number")
        # repr gives the shortest decimal that round-trips: 0.1 stays 0.1, not 0.1000000000000000055…
        return Parsed(Decimal(repr(raw)))
    if isinstance(raw, datetime | date | time | timedelta):
        return Parsed(None, "date_not_number")
    text = unicodedata.normalize("NFKC", str(raw))
    text = text.replace("\u3000", "").replace("\xa0", "").strip()
    text = re.sub(r"\s+", "", text)
    if text == "":
        return Parsed(None)
    if text.lower() in _PLACEHOLDERS:
        return Parsed(None, "placeholder")
    for unit in sorted(_KNOWN_UNITS, key=len, reverse=True):
        unit_n = unicodedata.normalize("NFKC", unit)
        if text.endswith(unit_n) and len(text) > len(unit_n):
            if unit_n != unicodedata.normalize("NFKC", unit_name):
                return Parsed(None, "wrong_unit", unit_n)
            text = text[: -len(unit_n)]
            break
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if not _PLAIN.match(text):
        return Parsed(None, "not_a_number")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return Parsed(None, "not_a_number")
    if not value.is_finite():
        return Parsed(None, "not_a_number")
    return Parsed(value)
