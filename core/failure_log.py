"""The failure log people read, `<IPWH_HOME>/alerts/failures.log`: one block per failure.

Failed runs are recorded by the run-failure sensor (orchestration/failures.py); a file that intake
could not read because something unexpected broke is recorded here too, beside its receipt. Only the
standard library is imported: intake writes here on its hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.settings import Settings, local_now

FAILURE_LOG = "failures.log"


@dataclass(frozen=True)
class FailureRecord:
    at: datetime
    job: str
    run_id: str
    steps: list[str]
    reason: str
    # A return kept back by the gate is no failed run (the run succeeds), but it needs the same
    # attention: the returns asset records it here too, as a refusal.
    what: str = "运行失败"

    def render(self) -> str:
        steps = "、".join(self.steps) or "（运行未开始执行步骤）"
        return (
            f"[{self.at:%Y-%m-%d %H:%M:%S}] 作业 {self.job} {self.what}\n"
            f"  运行编号：{self.run_id}\n"
            f"  失败步骤：{steps}\n"
            f"  原因：{self.reason}\n"
        )


def record_failure(record: FailureRecord, settings: Settings) -> Path:
    return _append(record.render(), settings)


def record_file_failure(settings: Settings, file_name: str, submission_id: str, sha256: str, reason: str) -> Path:
    """A file intake refused because reading it raised: which file, its receipt, and the error."""
    text = (
        f"[{local_now():%Y-%m-%d %H:%M:%S}] 接收文件时读取出错（该文件已退回，其他文件照常接收）\n"
        f"  文件：{file_name}\n"
        f"  回执编号：{submission_id}\n"
        f"  文件指纹（SHA-256）：{sha256}\n"
        f"  原因：{reason}\n"
    )
    return _append(text, settings)


def record_raw_zone_failure(settings: Settings, reason: str) -> Path:
    """The raw zone (IPWH_RAW_ZONE) could not be written after an intake committed."""
    return _append(f"[{local_now():%Y-%m-%d %H:%M:%S}] 原始区未能更新\n  原因：{reason}\n", settings)


def _append(block: str, settings: Settings) -> Path:
    settings.alerts.mkdir(parents=True, exist_ok=True)
    path = settings.alerts / FAILURE_LOG
    with path.open("a", encoding="utf-8") as handle:
        handle.write(block + "\n")
    return path
