"""Reporting periods as the forms use them: 月报 2026-10, 季报 2026Q3, 年报 2026.

One parser for every input path (CLI arguments, form metadata, CSV columns), so a period means
the same thing everywhere. Dates are calendar dates in Asia/Shanghai; no time of day is involved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_TYPES = ("month", "quarter", "year")
_PATTERNS = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}
_LABEL = {"month": "月报", "quarter": "季报", "year": "年报"}


class PeriodError(ValueError):
    """A period code that cannot be read; the message (Chinese) says what form is expected."""


@dataclass(frozen=True, order=True)
class Period:
    start: date
    period_type: str
    code: str

    @classmethod
    def parse(cls, raw: str, period_type: str | None = None) -> Period:
        text = str(raw).strip().upper().replace("－", "-").replace("Ｑ", "Q")
        types = (period_type,) if period_type else PERIOD_TYPES
        if period_type and period_type not in PERIOD_TYPES:
            raise PeriodError(f"未知的报告期类型：{period_type}")
        for kind in types:
            match = _PATTERNS[kind].match(text)
            if not match:
                continue
            year = int(match.group(1))
            if not 1900 <= year <= 2999:
                break
            if kind == "month":
                return cls(date(year, int(match.group(2)), 1), kind, text)
            if kind == "quarter":
                return cls(date(year, 3 * int(match.group(2)) - 2, 1), kind, text)
            return cls(date(year, 1, 1), kind, text)
        expected = {"month": "2026-10", "quarter": "2026Q3", "year": "2026"}
        shown = "、".join(f"{_LABEL[k]}如 {expected[k]}" for k in types)
        raise PeriodError(f"报告期 {raw!r} 无法识别，应为{shown}")

    @classmethod
    def of(cls, period_type: str, year: int, number: int = 1) -> Period:
        if period_type == "month":
            return cls.parse(f"{year:04d}-{number:02d}")
        if period_type == "quarter":
            return cls.parse(f"{year:04d}Q{number}")
        return cls.parse(f"{year:04d}")

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def end(self) -> date:
        """The last day of the period."""
        return self.next().start - timedelta(days=1)

    @property
    def label(self) -> str:
        """Chinese label: 2026年10月, 2026年第3季度, 2026年."""
        if self.period_type == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.period_type == "quarter":
            return f"{self.start.year}年第{(self.start.month + 2) // 3}季度"
        return f"{self.start.year}年"

    def next(self) -> Period:
        months = {"month": 1, "quarter": 3, "year": 12}[self.period_type]
        index = self.start.year * 12 + self.start.month - 1 + months
        start = date(index // 12, index % 12 + 1, 1)
        return Period.of(self.period_type, start.year, _number(start, self.period_type))

    def previous(self) -> Period:
        months = {"month": 1, "quarter": 3, "year": 12}[self.period_type]
        index = self.start.year * 12 + self.start.month - 1 - months
        start = date(index // 12, index % 12 + 1, 1)
        return Period.of(self.period_type, start.year, _number(start, self.period_type))

    def same_period_last_year(self) -> Period:
        return Period.of(self.period_type, self.start.year - 1, _number(self.start, self.period_type))

    def due(self, due_days: int) -> date:
        """The day a form for this period is due: `due_days` days after the period ends."""
        return self.end + timedelta(days=due_days)

    def has_ended(self, today: date) -> bool:
        return self.end < today

    def months(self) -> list[Period]:
        count = {"month": 1, "quarter": 3, "year": 12}[self.period_type]
        first = Period.of("month", self.start.year, self.start.month)
        out = [first]
        for _ in range(count - 1):
            out.append(out[-1].next())
        return out

    def __str__(self) -> str:
        return self.code


def _number(start: date, period_type: str) -> int:
    if period_type == "month":
        return start.month
    if period_type == "quarter":
        return (start.month + 2) // 3
    return 1


def period_range(first: Period, last: Period) -> Iterator[Period]:
    """Every period of `first`'s type from `first` to `last`, inclusive."""
    if first.period_type != last.period_type:
        raise PeriodError("起止报告期类型不同")
    current = first
    while current <= last:
        yield current
        current = current.next()
