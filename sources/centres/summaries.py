"""Annual work summaries (年度工作总结) of the industry IP centres, through the normal inbox.

A centre's summary (any PDF, DOCX or XLSX) dropped into `inbox/centres/<centre_code>/` is
archived by hash, checked (a file of one of those kinds, a registered centre, a plausible year)
and recorded in raw.centre_summaries, accepted or rejected, with a receipt in
`receipts/centres/<centre_code>/`. The year comes from the file name (2025年度工作总结.pdf); a
name without a year is taken as the year before it arrived, and the receipt says so.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from sources.catalogue import Catalogue
from sources.centres.registry import Centre, registered_centres
from sources.intake.archive import archive_bytes, sha256_hex
from sources.intake.problems import Problem, error, warning
from sources.intake.receipts import ReceiptData, write_receipt
from sources.intake.store import Batch, locked_periods, locking_period, period_locked_problem
from sources.periods import Period

CENTRES_FOLDER = "centres"  # inbox/centres/<centre_code>/ and receipts/centres/<centre_code>/
RECEIPT_TITLE = "产业知识产权协同保护与运营中心年度工作总结接收回执"
MAX_BYTES = 50 * 1024 * 1024
_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_KIND_SUFFIX = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx"}


@dataclass
class SummaryIntake:
    """What is already recorded (loaded once per batch) plus the centres of the registry."""

    known: dict[str, tuple[str, datetime, str, str, str]]  # sha -> (id, received at, outcome, file name, folder)
    centres: dict[str, Centre]
    ids: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> SummaryIntake:
        centres = registered_centres(con, catalogue)  # also creates the raw tables
        known = {
            sha: (sid, at, outcome, name, folder)
            for sha, sid, at, outcome, name, folder in con.execute(
                "select sha256, summary_id, received_at, outcome, file_name, inbox_folder from raw.centre_summaries "
                "order by received_at, summary_id"
            ).fetchall()
        }
        return cls(known, centres, {row[0] for row in known.values()})

    def handle(
        self,
        data: bytes,
        centre_code: str | None,
        name: str,
        received_at: datetime,
        batch: Batch,
        archive: Path,
        inbox_file: bool = True,
    ) -> ReceiptData:
        """One summary's bytes (read by intake, which refuses links and unreadable paths first);
        `inbox_file`: it came from the inbox and leaves it once recorded."""
        folder = f"{CENTRES_FOLDER}/{centre_code}" if centre_code else CENTRES_FOLDER
        sha = sha256_hex(data)
        if sha in self.known:
            sid, at, outcome, known_name, known_folder = self.known[sha]
            if (known_name, known_folder, at) == (name, folder, received_at) and inbox_file:
                # Recorded by an intake that stopped before it could remove the file: the original receipt.
                centre = self.centres.get(centre_code or "")
                locked = batch.locked_periods
                problems, year = recorded_problems(data, centre_code, centre, name, received_at, outcome, locked)
                return summary_receipt(sid, name, sha, received_at, outcome, problems, folder, centre, year)
            receipt = self._receipt(None, name, sha, received_at, "duplicate", [], folder)
            receipt.duplicate_of, receipt.duplicate_received_at, receipt.duplicate_outcome = sid, at, outcome
            return receipt
        kind = file_kind(data)
        archive_path = archive_bytes(data, sha, "zip" if kind in ("docx", "xlsx") else kind, archive)
        sid = self._new_id(received_at, sha)
        centre = self.centres.get(centre_code or "")
        problems, year = assess(data, kind, centre_code, centre, name, received_at, batch.locked_periods)
        accepted = not any(p.severity == "error" for p in problems)
        outcome = "accepted" if accepted else "rejected"
        batch.centre_summaries.append(
            {
                "summary_id": sid,
                "centre_code": centre.code if centre else None,
                "inbox_folder": folder,
                "summary_year": year,
                "sha256": sha,
                "file_name": name,
                "archive_path": archive_path,
                "file_kind": kind if kind in _KIND_SUFFIX else "other",
                "received_at": received_at,
                "outcome": outcome,
                "problem": "；".join(p.message for p in problems if p.severity == "error") or None,
                "is_sample": bool(centre and centre.is_sample),
            }
        )
        self.known[sha] = (sid, received_at, outcome, name, folder)
        return summary_receipt(sid, name, sha, received_at, outcome, problems, folder, centre, year)

    def _receipt(
        self,
        sid: str | None,
        name: str,
        sha: str,
        received_at: datetime,
        outcome: str,
        problems: list[Problem],
        folder: str,
    ) -> ReceiptData:
        return ReceiptData(sid, name, sha, received_at, outcome, problems, department_code=folder, title=RECEIPT_TITLE)

    def _new_id(self, received_at: datetime, sha: str) -> str:
        base = f"C{received_at:%Y%m%d%H%M%S}{sha[:8]}"
        candidate, n = base, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}r{n}"
        self.ids.add(candidate)
        return candidate


def assess(
    data: bytes,
    kind: str,
    centre_code: str | None,
    centre: Centre | None,
    name: str,
    received_at: datetime,
    locked: tuple[Period, ...] = (),
) -> tuple[list[Problem], int | None]:
    """What is wrong with a summary, and its year: a function of the bytes, the folder, the registry and
    the periods whose returns have gone upward (`locked`)."""
    problems: list[Problem] = []
    year: int | None = None
    if not data:
        problems.append(error("empty_file", "文件为空（0 字节）", "请重新导出后报送"))
    elif len(data) > MAX_BYTES:
        problems.append(error("too_large", "文件超过 50 MB", "请压缩图片或拆分附件后报送"))
    elif kind not in _KIND_SUFFIX:
        problems.append(
            error("not_a_document", "文件不是 PDF、Word（.docx）或 Excel（.xlsx）文档", "请以 PDF 或 .docx 报送总结")
        )
    if centre_code is None:
        problems.append(
            error(
                "unknown_centre",
                "文件直接放在 inbox/centres/ 下，无法确定是哪个中心的总结",
                "请放入 inbox/centres/<中心编码>/（中心编码见 ipwh centres list）",
            )
        )
    elif centre is None:
        problems.append(
            error(
                "unknown_centre",
                f"中心编码 {centre_code} 不在产业知识产权协同保护与运营中心名册中",
                "请核对收件夹名称是否为名册中的中心编码（ipwh centres list）；新认定的中心请先登记",
                found=centre_code,
            )
        )
    else:
        match = _YEAR.search(name)
        year = int(match.group(1)) if match else received_at.year - 1
        if not match:
            problems.append(
                warning(
                    "year_assumed",
                    f"文件名中没有年度，按上一年度（{year}年度）登记",
                    "建议文件名写明年度，如“2025年度工作总结.pdf”",
                )
            )
        if year < centre.designated_on.year or year > received_at.year:
            problems.append(
                error(
                    "bad_year",
                    f"总结年度 {year} 不在中心认定（{centre.designated_on.year}年）至今的范围内",
                    "请核对文件名中的年度",
                    found=str(year),
                )
            )
    if year is not None and not any(p.severity == "error" for p in problems):
        summary_year = Period.of("year", year)
        locking = locking_period(summary_year, locked)
        if locking is not None:  # the year's 榕知监7表 has gone upward: it must not be contradicted
            problems.append(period_locked_problem(summary_year, locking))
    return problems, year


def recorded_problems(
    data: bytes,
    centre_code: str | None,
    centre: Centre | None,
    name: str,
    received_at: datetime,
    outcome: str,
    locked: tuple[Period, ...],
) -> tuple[list[Problem], int | None]:
    """The problems of a summary already recorded with `outcome`, for its receipt written again.

    An accepted summary stays accepted even if its year was locked later; a rejected one whose bytes,
    folder and registry show no error was refused because its year was locked."""
    if outcome == "accepted":
        return assess(data, file_kind(data), centre_code, centre, name, received_at)
    problems, year = assess(data, file_kind(data), centre_code, centre, name, received_at, locked)
    if year is not None and not any(p.severity == "error" for p in problems):
        problems.append(period_locked_problem(Period.of("year", year), None))
    return problems, year


def summary_receipt(
    sid: str,
    name: str,
    sha: str,
    received_at: datetime,
    outcome: str,
    problems: list[Problem],
    folder: str,
    centre: Centre | None,
    year: int | None,
) -> ReceiptData:
    receipt = ReceiptData(sid, name, sha, received_at, outcome, problems, department_code=folder, title=RECEIPT_TITLE)
    receipt.form_label = f"年度工作总结（{year}年度）" if year else "年度工作总结"
    receipt.department_label = f"{centre.name}（{centre.code}）" if centre else None
    receipt.is_sample = bool(centre and centre.is_sample)
    receipt.version = 1 if outcome == "accepted" else None
    return receipt


def restore_summary_receipts(
    con: duckdb.DuckDBPyConnection, receipts: Path, archive: Path, catalogue: Catalogue
) -> list[Path]:
    """Write every missing receipt of a recorded summary again, from its row and its archived bytes."""
    rows = con.execute(
        "select summary_id, file_name, sha256, received_at, outcome, inbox_folder, archive_path "
        "from raw.centre_summaries order by received_at, summary_id"
    ).fetchall()
    missing = [r for r in rows if not (receipts / r[5] / f"{r[0]}.txt").exists()]
    if not missing:
        return []
    centres = registered_centres(con, catalogue)
    locked = locked_periods(con)
    written = []
    for sid, name, sha, received_at, outcome, folder, archive_path in missing:
        stored = archive / archive_path
        data = stored.read_bytes() if stored.exists() else b""
        centre_code = folder.split("/", 1)[1] if "/" in folder else None
        centre = centres.get(centre_code or "")
        problems, year = recorded_problems(data, centre_code, centre, name, received_at, outcome, locked)
        receipt = summary_receipt(sid, name, sha, received_at, outcome, problems, folder, centre, year)
        written.append(write_receipt(receipt, receipts / folder))
    return written


def file_kind(data: bytes) -> str:
    """pdf | docx | xlsx | empty | other, from the bytes (never the name)."""
    if not data:
        return "empty"
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "other"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return "other"


def centre_folder(relative_parts: tuple[str, ...]) -> tuple[bool, str | None]:
    """(is a centres inbox path, centre code) for a path's parts relative to the inbox."""
    if len(relative_parts) < 2 or relative_parts[0] != CENTRES_FOLDER:
        return False, None
    return True, relative_parts[1] if len(relative_parts) > 2 else None
