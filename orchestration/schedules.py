"""Schedules, in Asia/Shanghai: the monthly build after the due day, the returns, the daily reminder.

The days come from the catalogue (forms.csv `due_days`), not from code: a schedule fires on the
first day after the latest due day of the forms of its period type, e.g. monthly forms due 10 days
after the month ends → the build runs on the 11th; quarterly forms due after 15 days → the 16th of
January, April, July and October; annual forms due after 45 days → 15 February.
"""

# No `from __future__ import annotations`: Dagster reads the config classes from the annotations.

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from dagster import (
    Config,
    DefaultScheduleStatus,
    OpExecutionContext,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    StaticPartitionsDefinition,
    job,
    op,
    schedule,
)

from core.settings import Settings
from orchestration.names import REMIND_JOB, WAREHOUSE_RUN_TAGS
from orchestration.partitions import PERIOD_PARTITIONS, TIMEZONE_NAME, latest_ended_partition

BUILD_HOUR = 6  # the warehouse is rebuilt first …
RETURNS_HOUR = 7  # … then the returns of the period that just became due
REMIND_HOUR = 8  # the daily reminder, at the start of the working day
_PERIOD_STARTS = {"month": list(range(1, 13)), "quarter": [1, 4, 7, 10], "year": [1]}
_PERIOD_LABEL = {"month": "月报", "quarter": "季报", "year": "年报"}


@dataclass(frozen=True)
class AfterDue:
    """When a period type's schedule fires: `day` of the months `months` (cron fields)."""

    day: int
    months: list[int]

    def cron(self, hour: int) -> str:
        months = "*" if len(self.months) == 12 else ",".join(str(m) for m in self.months)
        return f"0 {hour} {self.day} {months} *"


def max_due_days(period_type: str) -> int:
    from sources.catalogue import load

    days = [int(f["due_days"]) for f in load().rows("forms") if f["period_type"] == period_type]
    return max(days) if days else 0


def after_due(period_type: str, due_days: int) -> AfterDue:
    """The first day after the due day of every period of this type, as a cron day and months.

    The day after a period's due day is the next period's first day + due_days. Where month lengths
    differ, the latest day wins, so the schedule is never early.
    """
    year = 2027  # a common year: February has 28 days, the shortest case
    candidates = []
    for month in _PERIOD_STARTS[period_type]:
        start = date(year, month, 1)
        day_after = start + timedelta(days=due_days)
        offset = (day_after.year - year) * 12 + day_after.month - month
        candidates.append((offset, day_after.day))
    offset = max(o for o, _ in candidates)
    day = max(d if o == offset else 1 for o, d in candidates)
    months = sorted({(m - 1 + offset) % 12 + 1 for m in _PERIOD_STARTS[period_type]})
    return AfterDue(min(day, 28), months)


def build_schedule(job_name: str) -> ScheduleDefinition:
    timing = after_due("month", max_due_days("month"))
    return ScheduleDefinition(
        name="monthly_build",
        job_name=job_name,
        cron_schedule=timing.cron(BUILD_HOUR),
        execution_timezone=TIMEZONE_NAME,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"月报报送期限（期末后 {max_due_days('month')} 天）过后的次日构建仓库",
    )


def returns_schedule(period_type: str, job_name: str):
    timing = after_due(period_type, max_due_days(period_type))

    @schedule(
        name=f"{job_name}_schedule",
        job_name=job_name,
        cron_schedule=timing.cron(RETURNS_HOUR),
        execution_timezone=TIMEZONE_NAME,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"{_PERIOD_LABEL[period_type]}报送期限过后，生成最近一个已结束报告期的上报报表",
    )
    def _returns(context: ScheduleEvaluationContext) -> Iterator[RunRequest | SkipReason]:
        when = context.scheduled_execution_time
        today = when.date() if when else Settings.from_env().today
        key = latest_ended_partition(period_type, today)
        if key is None:
            yield SkipReason("尚无已结束的报告期。")
            return
        partitions = PERIOD_PARTITIONS[period_type]
        if isinstance(partitions, StaticPartitionsDefinition) and key not in partitions.get_partition_keys():
            yield SkipReason(f"分区 {key} 不在本次加载的分区列表中：请重新加载代码位置（Reload definitions）。")
            return
        yield RunRequest(run_key=f"{job_name}:{key}:{today.isoformat()}", partition_key=key)

    return _returns


class RemindConfig(Config):
    days_ahead: int = 7


@op(description="列出未来几天内到期及逾期未报的单位，写入 alerts/ 并打印；配置了 SMTP 时发邮件")
def remind_op(context: OpExecutionContext, config: RemindConfig) -> None:
    from orchestration.reminders import remind, render_text

    report = remind(Settings.from_env(), config.days_ahead)
    text = render_text(report)
    print(text)
    context.log.info(text)
    mailed = f"，已发送至 {', '.join(report.mailed_to)}" if report.mailed_to else ""
    context.log.info(f"提醒已写入 {report.text_path} 与 {report.csv_path}{mailed}")


@job(name=REMIND_JOB, description="每日报送提醒：即将到期与逾期未报的单位", tags=WAREHOUSE_RUN_TAGS)
def remind_job() -> None:
    remind_op()


remind_schedule = ScheduleDefinition(
    name="daily_reminder",
    job=remind_job,
    cron_schedule=f"0 {REMIND_HOUR} * * *",
    execution_timezone=TIMEZONE_NAME,
    default_status=DefaultScheduleStatus.RUNNING,
    description="每天上午提醒即将到期与逾期未报的报表",
)
