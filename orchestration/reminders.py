"""Daily reminders: which departments have a form due in the next few days, and which are overdue.

Read from the analysts' snapshot when there is one (never blocked by a build), else from the
warehouse read-only: `marts.dim_form_assignments` says who submits which form, the form's due
days give each period's due day, and `marts.fct_submission_completeness` says what has been
received and what is missing. Written to `<IPWH_HOME>/alerts/<date>.txt` and `.csv`, printed, and
mailed when IPWH_SMTP_HOST is set (IPWH_SMTP_PORT, IPWH_SMTP_FROM, IPWH_SMTP_TO comma-separated,
optional IPWH_SMTP_USER / IPWH_SMTP_PASSWORD, IPWH_SMTP_STARTTLS=1).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from core.settings import Settings
from core.warehouse import WarehouseUnavailable
from sources.periods import Period

DEFAULT_DAYS_AHEAD = 7
CSV_HEADER = ("状态", "应报日期", "距应报日（天）", "报表", "表号", "报告期", "单位编码", "单位", "区划")


@dataclass(frozen=True)
class Reminder:
    status: str  # 即将到期 | 今日到期 | 逾期未报
    due: date
    days: int  # due - today (negative: overdue by that many days)
    form_code: str
    form_name: str
    table_no: str
    period: str
    department_code: str
    department_name: str
    region_code: str


@dataclass
class ReminderReport:
    today: date
    days_ahead: int
    items: list[Reminder] = field(default_factory=list)
    text_path: Path | None = None
    csv_path: Path | None = None
    mailed_to: list[str] = field(default_factory=list)
    source: Path | None = None

    @property
    def due_soon(self) -> list[Reminder]:
        return [r for r in self.items if r.days >= 0]

    @property
    def overdue(self) -> list[Reminder]:
        return [r for r in self.items if r.days < 0]


def collect(settings: Settings, days_ahead: int = DEFAULT_DAYS_AHEAD) -> ReminderReport:
    today = settings.today
    source = settings.snapshot_db if settings.snapshot_db.exists() else settings.warehouse
    if not source.exists():
        raise WarehouseUnavailable(f"仓库文件 {settings.warehouse} 尚不存在：请先运行 `ipwh run` 建立仓库。")
    try:
        con = duckdb.connect(str(source), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseUnavailable(f"无法读取 {source}：{exc}") from exc
    try:
        assignments = con.execute(
            "select form_code, form_name, table_no, period_type, due_days, department_code, department_name, "
            "region_code, region_valid_from, region_valid_to from marts.dim_form_assignments"
        ).fetchall()
        completeness = con.execute(
            "select form_code, department_code, period_code, is_expected, is_received, due_date "
            "from marts.fct_submission_completeness"
        ).fetchall()
    except duckdb.CatalogException as exc:
        raise WarehouseUnavailable(f"仓库中缺少报送完整性数据集市（请先运行 `ipwh run`）：{exc}") from exc
    finally:
        con.close()
    received = {(f, d, p) for f, d, p, _, is_received, _ in completeness if is_received}
    known = {(f, d, p) for f, d, p, *_ in completeness}
    report = ReminderReport(today=today, days_ahead=days_ahead, source=source)
    by_key: dict[tuple[str, str, str], Reminder] = {}
    info = {(a[0], a[5]): a for a in assignments}
    # Overdue: expected, nothing accepted, due day passed (as the completeness mart knows them).
    for form, dept, period, is_expected, is_received, due in completeness:
        if is_expected and not is_received and due is not None and due < today and (form, dept) in info:
            by_key[(form, dept, period)] = _reminder(info[(form, dept)], period, due, today)
    # Due soon (and periods that ended after the last build): the last two ended periods of each form.
    for row in assignments:
        form, _, _, period_type, due_days, dept, _, _, valid_from, valid_to = row
        current = _period_containing(today, period_type)
        for period in (current.previous(), current.previous().previous()):
            key = (form, dept, period.code)
            due = period.due(int(due_days))
            if key in received or key in by_key:
                continue
            if (valid_from and valid_from > period.end) or (valid_to and valid_to < period.end):
                continue
            soon = today <= due <= _add_days(today, days_ahead)
            unknown_overdue = due < today and key not in known and _started(form, completeness)
            if soon or unknown_overdue:
                by_key[key] = _reminder(row, period.code, due, today)
    report.items = sorted(by_key.values(), key=lambda r: (r.days, r.form_code, r.department_code, r.period))
    return report


def _started(form: str, completeness: list[tuple]) -> bool:
    """A form is expected only once its first period has been submitted (as the completeness mart rules)."""
    return any(row[0] == form and row[3] for row in completeness)


def _add_days(day: date, days: int) -> date:
    from datetime import timedelta

    return day + timedelta(days=days)


def _period_containing(day: date, period_type: str) -> Period:
    if period_type == "month":
        return Period.of("month", day.year, day.month)
    if period_type == "quarter":
        return Period.of("quarter", day.year, (day.month - 1) // 3 + 1)
    return Period.of("year", day.year)


def _reminder(row: tuple, period: str, due: date, today: date) -> Reminder:
    form, form_name, table_no, _, _, dept, dept_name, region, _, _ = row
    days = (due - today).days
    status = "逾期未报" if days < 0 else ("今日到期" if days == 0 else "即将到期")
    return Reminder(status, due, days, form, form_name, table_no, period, dept, dept_name or dept, region)


def render_text(report: ReminderReport) -> str:
    lines = [f"报送提醒 {report.today.isoformat()}（未来 {report.days_ahead} 天内到期及已逾期的报表）", ""]
    if not report.items:
        lines.append("没有即将到期或逾期未报的报表。")
    if report.due_soon:
        lines.append(f"即将到期（{len(report.due_soon)} 项）：")
        for r in report.due_soon:
            when = "今日" if r.days == 0 else f"{r.days} 天后"
            lines.append(
                f"  - {r.department_name}（{r.department_code}）{r.table_no}《{r.form_name}》{r.period}："
                f"{r.due}（{when}）"
            )
        lines.append("")
    if report.overdue:
        lines.append(f"逾期未报（{len(report.overdue)} 项）：")
        for r in report.overdue:
            lines.append(
                f"  - {r.department_name}（{r.department_code}）{r.table_no}《{r.form_name}》{r.period}："
                f"应于 {r.due} 报送，已逾期 {-r.days} 天"
            )
    if report.items:
        lines += ["", f"请登录网上报送平台报送：{portal_url()}（账户为本单位代码）"]
    return "\n".join(lines).rstrip() + "\n"


def portal_url() -> str:
    """Where departments submit: IPWH_PORTAL_URL, else the embedded portal's address (`ipwh portal`)."""
    return os.environ.get("IPWH_PORTAL_URL", "").strip() or "http://127.0.0.1:8000/"


def render_csv(report: ReminderReport) -> str:
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(CSV_HEADER)
    for r in report.items:
        out.writerow(
            (
                r.status,
                r.due.isoformat(),
                r.days,
                r.form_code,
                r.table_no,
                r.period,
                r.department_code,
                r.department_name,
                r.region_code,
            )
        )
    return buffer.getvalue()


def write(report: ReminderReport, settings: Settings) -> ReminderReport:
    settings.alerts.mkdir(parents=True, exist_ok=True)
    stem = settings.alerts / report.today.isoformat()
    report.text_path = stem.with_suffix(".txt")
    report.csv_path = stem.with_suffix(".csv")
    _atomic_write(report.text_path, render_text(report), "utf-8")
    _atomic_write(report.csv_path, render_csv(report), "utf-8-sig")  # Excel opens UTF-8 with BOM correctly
    return report


def _atomic_write(path: Path, text: str, encoding: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding=encoding)
    os.replace(temp, path)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    recipients: list[str]
    user: str | None
    password: str | None
    starttls: bool

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpSettings | None:
        env = dict(os.environ) if env is None else env
        host = env.get("IPWH_SMTP_HOST", "").strip()
        if not host:
            return None
        recipients = [r.strip() for r in env.get("IPWH_SMTP_TO", "").split(",") if r.strip()]
        if not recipients:
            raise WarehouseUnavailable("已设置 IPWH_SMTP_HOST，但未设置收件人 IPWH_SMTP_TO（逗号分隔）。")
        try:
            port = int(env.get("IPWH_SMTP_PORT", "25"))
        except ValueError as exc:
            raise WarehouseUnavailable(f"IPWH_SMTP_PORT 应为端口号，当前为 {env.get('IPWH_SMTP_PORT')!r}") from exc
        return cls(
            host=host,
            port=port,
            sender=env.get("IPWH_SMTP_FROM", "ipwh@localhost"),
            recipients=recipients,
            user=env.get("IPWH_SMTP_USER") or None,
            password=env.get("IPWH_SMTP_PASSWORD") or None,
            starttls=env.get("IPWH_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        )


def mail(report: ReminderReport, smtp: SmtpSettings) -> None:
    import smtplib
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = (
        f"报送提醒 {report.today.isoformat()}：即将到期 {len(report.due_soon)} 项，逾期未报 {len(report.overdue)} 项"
    )
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.recipients)
    message.set_content(render_text(report))
    message.add_attachment(
        render_csv(report).encode("utf-8-sig"), maintype="text", subtype="csv", filename=f"{report.today}.csv"
    )
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise WarehouseUnavailable(f"提醒已写入文件，但邮件发送失败（{smtp.host}:{smtp.port}）：{exc}") from exc
    report.mailed_to = list(smtp.recipients)


def remind(settings: Settings, days_ahead: int = DEFAULT_DAYS_AHEAD, send_mail: bool = True) -> ReminderReport:
    """Collect, write the alert files, and mail them when SMTP is configured."""
    report = write(collect(settings, days_ahead), settings)
    smtp = SmtpSettings.from_env() if send_mail else None
    if smtp is not None:
        mail(report, smtp)
    return report
