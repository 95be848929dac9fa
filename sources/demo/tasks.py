"""Sample key-task reports and industry IP centres behind `ipwh demo` (示例数据). Pure data.

Task reports: every lead unit (task_units.csv, unit_role = lead) reports on its tasks for the
four quarters up to `last_quarter`. Most tasks are done or moving; a few Gulou tasks past their
2025-06 deadline stay 逾期未完成 (overdue in the marts); the city court's last report first arrives
with a status not in the list (rejected) and is resubmitted the next day.

Centres: four sample centres (示例中心A–D) designated 2023–2025 with their annual summaries; one
is past its three-year re-review, one due within the warning window, one summary is missing and
one arrived late. Statuses, rules and units all come from the catalogue; only the story is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sources.catalogue import Catalogue
from sources.forms.spec import led_tasks, task_leads
from sources.periods import Period

ARRIVAL_DAYS = 8  # days after the quarter ends that a report arrives (well within the due days)
STUCK_TASKS = ("gulou_demo.T5.2", "gulou_demo.T7.3", "gulou_demo.T4.3")  # overdue in the sample
INVALID_STATUS = "基本完成"  # typed instead of choosing from the list (rejected, then corrected)


@dataclass(frozen=True)
class DemoTaskReport:
    form_code: str
    department_code: str
    region_code: str
    period: Period
    values: dict[str, tuple[str | None, str | None]]  # task code -> (status, progress)
    received_on: date
    attempt: int = 1  # 2 = the corrected resubmission


@dataclass(frozen=True)
class DemoCentreSummary:
    centre_code: str
    summary_year: int
    received_on: date
    file_name: str


def demo_task_reports(catalogue: Catalogue, last_quarter: str = "2026Q3", quarters: int = 4) -> list[DemoTaskReport]:
    """The sample's task reports, in arrival order (the rejected file before its correction)."""
    form_code = catalogue.rows("task_forms")[0]["form_code"]
    statuses = {r["status_code"]: r["status_name"] for r in catalogue.rows("task_statuses")}
    last = Period.parse(last_quarter, "quarter")
    periods = [last]
    for _ in range(quarters - 1):
        periods.insert(0, periods[0].previous())
    out: list[DemoTaskReport] = []
    for dept in task_leads(catalogue):
        tasks = led_tasks(catalogue, dept["department_code"])
        for n, period in enumerate(periods):
            values = {t.task_code: _status(t.task_code, t.deadline, n, period, statuses) for t in tasks}
            arrived = period.end + timedelta(days=ARRIVAL_DAYS + len(out) % 4)
            report = DemoTaskReport(form_code, dept["department_code"], dept["region_code"], period, values, arrived)
            if period == last and dept["department_kind"] == "court":
                bad = {code: (INVALID_STATUS, text) for code, (_, text) in values.items()}
                out.append(DemoTaskReport(form_code, report.department_code, report.region_code, period, bad, arrived))
                report = DemoTaskReport(
                    form_code, report.department_code, report.region_code, period, values, arrived + timedelta(1), 2
                )
            out.append(report)
    return sorted(out, key=lambda r: (r.received_on, r.department_code, r.attempt))


def _status(
    code: str, deadline: date | None, n: int, period: Period, statuses: dict[str, str]
) -> tuple[str | None, str | None]:
    """A deterministic, plausible status for task `code` in the n-th sample quarter."""
    seed = sum(map(ord, code))
    if code in STUCK_TASKS:
        return statuses["overdue"], "（示例）受经费和协调进度影响，尚未完成，已列入下季度重点督办。"
    if deadline is not None and deadline < period.end:
        if seed % 3 == 0 and n < 2:
            return statuses["in_progress"], "（示例）主体工作已完成，正在整理验收材料。"
        return statuses["done"], "（示例）已按方案完成，成效材料已归档。"
    if seed % 4 == 0:
        return statuses["ongoing"], "（示例）常态化推进，本季度组织专题培训和企业走访。"
    if seed % 5 == 0 and n >= 2:
        return statuses["done"], "（示例）本季度完成，已报送总结。"
    return statuses["in_progress"], "（示例）按计划推进，本季度完成阶段性工作。"


def demo_centres() -> list[dict[str, str]]:
    """The sample registry (one row per event), as `ipwh centres import` takes it."""
    rows = [
        (
            "SAMPLE-A",
            "示例中心A（软件和信息服务）",
            "示例软件有限公司",
            "enterprise",
            "软件和信息服务",
            "350102",
            "2023-03-15",
        ),
        (
            "SAMPLE-B",
            "示例中心B（纺织化纤）",
            "示例纺织行业协会",
            "industry_association",
            "纺织化纤",
            "350181",
            "2023-12-20",
        ),
        ("SAMPLE-C", "示例中心C（生物医药）", "示例大学", "university", "生物医药", "350104", "2024-06-28"),
        ("SAMPLE-D", "示例中心D（新材料）", "示例材料研究院", "research_institute", "新材料", "350105", "2025-09-10"),
    ]
    return [
        {
            "centre_code": code,
            "centre_name": name,
            "applicant_name": applicant,
            "applicant_kind": kind,
            "industry": industry,
            "region_code": region,
            "event": "designated",
            "event_date": day,
            "document_no": f"示例文号〔{day[:4]}〕{i}号",
            "note": "示例数据",
        }
        for i, (code, name, applicant, kind, industry, region, day) in enumerate(rows, start=1)
    ]


def demo_centre_summaries() -> list[DemoCentreSummary]:
    """Annual summaries that arrive: SAMPLE-B's 2025 summary never does; SAMPLE-C's 2025 one is late."""
    arrivals = (
        ("SAMPLE-A", 2023, date(2024, 2, 26)),
        ("SAMPLE-A", 2024, date(2025, 3, 10)),
        ("SAMPLE-A", 2025, date(2026, 3, 2)),
        ("SAMPLE-B", 2023, date(2024, 3, 20)),
        ("SAMPLE-B", 2024, date(2025, 2, 28)),
        ("SAMPLE-C", 2024, date(2025, 3, 25)),
        ("SAMPLE-C", 2025, date(2026, 4, 15)),
        ("SAMPLE-D", 2025, date(2026, 2, 20)),
    )
    return [DemoCentreSummary(c, y, d, f"{y}年度工作总结（示例）.pdf") for c, y, d in arrivals]


def summary_pdf(summary: DemoCentreSummary) -> bytes:
    """A small, valid, deterministic PDF standing in for a centre's summary (示例数据)."""
    text = f"Sample annual work summary {summary.centre_code} {summary.summary_year} (demo data)"
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body
