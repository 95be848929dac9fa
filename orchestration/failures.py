"""Failed runs, recorded for people: `<IPWH_HOME>/alerts/failures.log` (written by core/failure_log.py)."""

from __future__ import annotations

from dagster import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor

from core.failure_log import FAILURE_LOG, FailureRecord, record_failure
from core.settings import Settings, local_now
from core.warehouse import is_lock_error

__all__ = ["FAILURE_LOG", "explain", "failure_record", "record_run_failures"]


def explain(message: str) -> str:
    """A failure message in words an operator can act on (Chinese), from Dagster's or dbt's text."""
    text = message.strip()
    lower = text.lower()
    # Checked first: "blocking" contains "lock", and a failed check is a data problem, not a locked file.
    if "assetcheckfailed" in lower.replace(" ", "").replace("_", "") or "blocking asset check" in lower:
        return "阻断性质量检查未通过，下游资产（如上报报表）未生成；请用 ipwh check 查看问题。原文：" + _short(text)
    if "正被其他进程占用" in text or is_lock_error(text):
        return "仓库被其他进程占用（可能有人直接打开了仓库文件或另一构建在运行），请稍后重试。原文：" + _short(text)
    if "dbt" in lower:
        return "dbt 构建失败（模型或测试出错）。原文：" + _short(text)
    return _short(text) or "未知原因（详见 Dagster 界面中的运行日志）"


def _short(text: str, limit: int = 400) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def failure_record(context: RunFailureSensorContext) -> FailureRecord:
    run = context.dagster_run
    step_events = context.get_step_failure_events()
    steps = [event.step_key or "?" for event in step_events]
    messages = []
    for event in step_events:
        data = event.step_failure_data
        error = data.error if data else None
        description = data.user_failure_data.description if data and data.user_failure_data else None
        messages.append(description or (_error_text(error) if error else event.message or ""))
    if not messages:
        messages.append(context.failure_event.message or "")
    reason = "；".join(explain(m) for m in dict.fromkeys(messages) if m) or explain("")
    return FailureRecord(local_now(), run.job_name, run.run_id, steps, reason)


def _error_text(error: object) -> str:
    """The innermost cause's message (Dagster wraps user errors in its own)."""
    current = error
    while getattr(current, "cause", None) is not None:
        current = current.cause
    return f"{getattr(current, 'cls_name', '')}: {getattr(current, 'message', '')}".strip(": ")


@run_failure_sensor(
    name="record_run_failures",
    description="记录失败的运行（作业、运行编号、步骤、原因）到 alerts/failures.log",
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def record_run_failures(context: RunFailureSensorContext) -> None:
    settings = Settings.from_env()
    path = record_failure(failure_record(context), settings)
    context.log.info(f"已记录运行失败：{path}")
