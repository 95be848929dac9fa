"""Partitions that match the forms' periods and are named like them: 月报 2026-10, 季报 2026Q3, 年报 2026.

A partition is one reporting period, so one period can be rebuilt alone and backfills work. Months
and years are time windows whose keys already are their period codes. Quarters are a static list
keyed by the period code (2026Q3): a cron window can only be named with strftime, which has no
quarter, and a Dagster UI that says "2026-07" for 2026Q3 misleads the reader. The list runs from
the first period to the end of the year after the latest of today and the catalogue's plan ends,
so the schedule always finds the quarter that just ended (a period that has not ended is refused
by the gate and the returns, which check has_ended themselves).
Windows close in Asia/Shanghai; only months and years that have ended are partitions.
"""

from __future__ import annotations

import os
from datetime import date

from dagster import PartitionsDefinition, StaticPartitionsDefinition, TimeWindowPartitionsDefinition

from sources.periods import Period

FIRST_PERIOD_START = "2019-01"
TIMEZONE_NAME = "Asia/Shanghai"


def quarter_keys(last_year: int, first_year: int = int(FIRST_PERIOD_START[:4])) -> list[str]:
    """Every quarter's period code from `first_year`Q1 to `last_year`Q4."""
    return [Period.of("quarter", year, q).code for year in range(first_year, last_year + 1) for q in range(1, 5)]


def _last_quarter_year() -> int:
    """The year after the latest of today (IPWH_TODAY when pinned) and the catalogue plans' ends."""
    years = [date.today().year]
    pinned = os.environ.get("IPWH_TODAY", "")
    if pinned[:4].isdigit():
        years.append(int(pinned[:4]))
    try:
        from sources.catalogue import load

        years += [int(p["end_date"][:4]) for p in load().plans.values() if p.get("end_date", "")[:4].isdigit()]
    except Exception:  # the catalogue check reports a broken catalogue; partitions must still load
        pass
    return max(years) + 1


MONTHLY = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 * *", start=FIRST_PERIOD_START, fmt="%Y-%m", timezone=TIMEZONE_NAME
)
QUARTERLY = StaticPartitionsDefinition(quarter_keys(_last_quarter_year()))
ANNUAL = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start=FIRST_PERIOD_START[:4], fmt="%Y", timezone=TIMEZONE_NAME
)
PERIOD_PARTITIONS: dict[str, PartitionsDefinition] = {
    "month": MONTHLY,
    "quarter": QUARTERLY,
    "year": ANNUAL,
}


def period_of_partition(period_type: str, key: str) -> Period:
    """The period a partition key stands for: ('quarter', '2026Q3') -> 2026Q3."""
    return Period.parse(key, period_type)


def partition_of_period(period: Period) -> str:
    """The partition key of a period: its code (2026Q3, 2026-10, 2026)."""
    return period.code


def period_containing(day: date, period_type: str) -> Period:
    """The period of `period_type` that `day` falls in (not yet ended on that day)."""
    if period_type == "month":
        return Period.of("month", day.year, day.month)
    if period_type == "quarter":
        return Period.of("quarter", day.year, (day.month - 1) // 3 + 1)
    return Period.of("year", day.year)


def latest_ended_partition(period_type: str, today: date) -> str | None:
    """The partition key of the latest period that has ended before `today` (None before the first one)."""
    period = period_containing(today, period_type).previous()
    key = partition_of_period(period)
    first = date.fromisoformat(f"{FIRST_PERIOD_START}-01")
    return key if period.start >= first else None
