"""`ipwh demo`: the sample scenario, delivered the way real data arrives.

Every department's figures are written into the real templates (customs offices export CSV in
GBK, as their systems do), dropped into their inbox folders with the day they "arrived" as the
file time, and ingested by the normal intake; the patent-record extract is loaded like any other.
Everything is marked 示例数据. Running it again changes nothing: the files are byte-identical,
so intake recognises every one as already received.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from core.settings import TIMEZONE, Settings
from sources.catalogue import Catalogue, load

RECORDS_AS_OF = date(2026, 10, 31)
CSV_DEPARTMENT_KINDS = ("customs",)  # their systems export CSV, in GBK


@dataclass
class DemoSummary:
    files: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicate: int = 0
    records: int = 0
    records_already_loaded: bool = False
    defects: list[dict[str, object]] = field(default_factory=list)
    rejected_receipts: list[Path] = field(default_factory=list)
    task_reports: int = 0  # of `files`: task-report forms (重点任务推进情况季报)
    centres_registered: int = 0  # registry events recorded by this run (0 when already imported)
    centre_summaries: int = 0  # annual summaries dropped into inbox/centres/ (not counted in `files`)
    centre_summaries_accepted: int = 0
    # Of `files`: taken from the inbox by another process (the inbox sensor of a running `ipwh ui`)
    # before this run could ingest them; received there, with their receipts, not counted above.
    taken_elsewhere: int = 0
    already_waiting: int = 0  # other files that were already in the inbox, ingested with the sample

    def adds_up(self) -> bool:
        return self.accepted + self.rejected + self.duplicate + self.taken_elsewhere == self.files


def build_demo(settings: Settings, catalogue: Catalogue | None = None) -> DemoSummary:
    from sources.demo.figures import demo_defects, demo_submissions
    from sources.demo.records import patent_records
    from sources.forms.csv_template import write_csv_form
    from sources.forms.spec import assignment
    from sources.forms.xlsx_template import write_xlsx_form
    from sources.intake.pipeline import inbox_files, ingest
    from sources.intake.records import load_extract

    catalogue = catalogue or load()
    settings.ensure_dirs()
    summary = DemoSummary(defects=demo_defects(catalogue))
    staging = settings.home / "demo"
    staging.mkdir(parents=True, exist_ok=True)

    records = patent_records(catalogue, RECORDS_AS_OF)
    extract = staging / f"patent_records_{RECORDS_AS_OF.isoformat()}.parquet"
    if not extract.exists():
        _write_parquet(records, extract)
    loaded = load_extract(extract, RECORDS_AS_OF, settings, catalogue, sample=True)
    summary.records = loaded.row_count
    summary.records_already_loaded = loaded.duplicate
    if not loaded.loaded and not loaded.duplicate:
        raise RuntimeError(f"示例专利明细未能载入：{loaded.problems}")

    written: set[Path] = set()
    seen: dict[tuple[str, str, str], int] = {}
    for n, item in enumerate(demo_submissions(catalogue)):
        found = assignment(catalogue, item.form_code, item.region_code, item.department_code)
        key = (item.form_code, item.department_code, item.period.code)
        seen[key] = seen.get(key, 0) + 1
        suffix = "" if seen[key] == 1 else f"_第{seen[key]}次报送"
        folder = settings.inbox / item.department_code
        arrived = _arrival(item.received_on, n)
        signature = {
            "head_of_unit": "（示例）负责人",
            "head_of_statistics": "（示例）统计负责人",
            "filled_by": "（示例）填表人",
            "phone": "0591-00000000",
            "reported_on": item.received_on.isoformat(),
        }
        if found.form.department_kind in CSV_DEPARTMENT_KINDS:
            path = folder / f"{item.form_code}_{item.period.code}{suffix}.csv"
            write_csv_form(found, item.period, path, values=item.values, sample=True, encoding="gbk")
        else:
            path = folder / f"{found.form.table_no}_{item.period.code}{suffix}.xlsx"
            write_xlsx_form(found, item.period, path, values=item.values, signature=signature, sample=True)
        stamp = arrived.replace(tzinfo=TIMEZONE).timestamp()
        os.utime(path, (stamp, stamp))
        summary.files += 1
        written.add(path.resolve())

    _drop_task_reports_and_centres(settings, catalogue, summary, len(seen), written)
    centres_inbox = (settings.inbox / "centres").resolve()
    waiting = [item for item in inbox_files(settings) if item.path.exists()]
    counted = 0
    for outcome in ingest(waiting, settings, catalogue, actor="ipwh demo"):
        where = outcome.path.resolve()
        if where.is_relative_to(centres_inbox):
            summary.centre_summaries_accepted += outcome.status == "accepted"
            continue
        if where not in written:
            summary.already_waiting += 1
            continue
        counted += 1
        if not outcome.is_new:  # received by an earlier `ipwh demo`
            summary.duplicate += 1
        elif outcome.status == "accepted":
            summary.accepted += 1
        else:
            summary.rejected += 1
            if outcome.receipt_path:
                summary.rejected_receipts.append(outcome.receipt_path)
    summary.taken_elsewhere = len(written) - counted
    (staging / "defects.json").write_text(
        json.dumps(summary.defects, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    return summary


def _drop_task_reports_and_centres(
    settings: Settings, catalogue: Catalogue, summary: DemoSummary, n: int, written: set[Path]
) -> int:
    """Task-report forms into the lead units' inboxes; the sample centre registry imported; the
    centres' annual summaries into inbox/centres/<centre>/. All through the real paths, 示例数据."""
    from sources.centres.registry import import_registry, registry_rows_text
    from sources.demo.tasks import demo_centre_summaries, demo_centres, demo_task_reports, summary_pdf
    from sources.forms.spec import assignment
    from sources.forms.xlsx_template import write_bytes_atomic, write_xlsx_form

    signature = {"head_of_unit": "（示例）负责人", "filled_by": "（示例）填表人", "phone": "0591-00000000"}
    for report in demo_task_reports(catalogue):
        found = assignment(catalogue, report.form_code, report.region_code, report.department_code)
        suffix = "" if report.attempt == 1 else f"_第{report.attempt}次报送"
        path = settings.inbox / report.department_code / f"{found.form.table_no}_{report.period.code}{suffix}.xlsx"
        signed = {**signature, "reported_on": report.received_on.isoformat()}
        write_xlsx_form(found, report.period, path, values=report.values, signature=signed, sample=True)
        _stamp(path, _arrival(report.received_on, n))
        n += 1
        summary.files += 1
        written.add(path.resolve())
        summary.task_reports += 1
    registry = import_registry(
        registry_rows_text(demo_centres()), "示例中心名册.csv", settings, catalogue, sample=True, actor="ipwh demo"
    )
    if registry.problems:
        raise RuntimeError(f"示例中心名册未能导入：{registry.problems}")
    summary.centres_registered = registry.recorded
    for item in demo_centre_summaries():
        path = settings.inbox / "centres" / item.centre_code / item.file_name
        write_bytes_atomic(path, summary_pdf(item))
        _stamp(path, _arrival(item.received_on, n))
        n += 1
        summary.centre_summaries += 1
    return n


def _stamp(path: Path, arrived: datetime) -> None:
    stamp = arrived.replace(tzinfo=TIMEZONE).timestamp()
    os.utime(path, (stamp, stamp))


def _arrival(day: date, n: int) -> datetime:
    """A working-hours time on the given day, spread deterministically."""
    minutes = 8 * 60 + 30 + (n * 37) % (9 * 60)
    return datetime.combine(day, time()) + timedelta(minutes=minutes)


def _write_parquet(frame: object, path: Path) -> None:
    import duckdb

    temp = path.with_suffix(".incoming")
    with duckdb.connect() as con:
        con.register("records", frame)
        con.execute(f"copy records to '{str(temp).replace(chr(39), chr(39) * 2)}' (format parquet)")
    os.replace(temp, path)
