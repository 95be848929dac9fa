"""Time partitions that match the forms' periods: 月报 2026-10, 季报 2026Q3, 年报 2026.

A partition is one reporting period, so one period can be rebuilt alone and backfills work. Keys
are readable: a month's key is its period code (2026-10), a year's too (2026); a quarter's key is
its first month (2026-07), because cron windows cannot be named 2026Q3.
Windows close in Asia/Shanghai; only periods that have ended are partitions.
"""

from __future__ import annotations

from datetime import date

from dagster import TimeWindowPartitionsDefinition

from sources.periods import Period

FIRST_PERIOD_START = "2019-01"
TIMEZONE_NAME = "Asia/Shanghai"

MONTHLY = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 * *", start=FIRST_PERIOD_START, fmt="%Y-%m", timezone=TIMEZONE_NAME
)
QUARTERLY = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *", start=FIRST_PERIOD_START, fmt="%Y-%m", timezone=TIMEZONE_NAME
)
ANNUAL = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start=FIRST_PERIOD_START[:4], fmt="%Y", timezone=TIMEZONE_NAME
)
PERIOD_PARTITIONS: dict[str, TimeWindowPartitionsDefinition] = {
    "month": MONTHLY,
    "quarter": QUARTERLY,
    "year": ANNUAL,
}


def period_of_partition(period_type: str, key: str) -> Period:
    """The period a partition key stands for: ('quarter', '2026-07') -> 2026Q3."""
    if period_type == "quarter":
        year, month = key.split("-")
        return Period.of("quarter", int(year), (int(month) - 1) // 3 + 1)
    return Period.parse(key, period_type)


def partition_of_period(period: Period) -> str:
    """The partition key of a period: 2026Q3 -> '2026-07'; 2026-10 -> '2026-10'; 2026 -> '2026'."""
    if period.period_type == "quarter":
        return period.start.strftime("%Y-%m")
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
    first = PERIOD_PARTITIONS[period_type].start.date()
    return key if period.start >= first else None
