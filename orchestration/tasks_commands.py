"""`ipwh tasks …` (key-task progress reports) and `ipwh centres …` (industry IP centre registry).

Filled task forms and centres' annual summaries arrive through the normal inbox (`ipwh ingest`);
these commands make the blank task forms, keep the centre registry and read the marts.
"""

from __future__ import annotations

import getpass
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from core.settings import Settings
from core.warehouse import query
from orchestration.console import UsageError, err, friendly, out

TASK_LABEL_CHARS = 40
tasks_app = typer.Typer(
    help="重点任务推进情况：生成季报模板、查看推进与逾期情况。\n\n示例：ipwh tasks list --overdue", no_args_is_help=True
)
centres_app = typer.Typer(
    help="产业知识产权协同保护与运营中心：名册登记与导入、年度总结与复核情况。\n\n示例：ipwh centres list",
    no_args_is_help=True,
)


def _applicant_kinds() -> str:
    """The allowed applicant kinds as the catalogue lists them (code or Chinese name accepted)."""
    from sources.catalogue import load

    rows = load().rows("centre_applicant_kinds")
    return "、".join(f"{r['applicant_kind']}（{r['applicant_kind_name']}）" for r in rows)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `ipwh`."""
    app.add_typer(tasks_app, name="tasks")
    app.add_typer(centres_app, name="centres")


# --- tasks --------------------------------------------------------------------------------------


@tasks_app.command("template")
@friendly
def tasks_template(
    department: Annotated[str, typer.Option("--department", "-d", help="牵头单位编码，如 350102.amr")],
    period: Annotated[str, typer.Option("--period", "-p", help="报告期（季度），如 2026Q3")],
    form: Annotated[str | None, typer.Option("--form", help="任务报表编码（只有一张时可省略）")] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="输出文件（默认 var/templates/<单位>/…）")
    ] = None,
) -> None:
    """生成某牵头单位某季度的《重点任务推进情况季报》空白模板（.xlsx）。

    示例：ipwh tasks template --department 350102.amr --period 2026Q3
    """
    from sources.catalogue import load
    from sources.forms.spec import assignment, check_period
    from sources.forms.xlsx_template import write_xlsx_form

    catalogue = load()
    form_code = _task_form(catalogue, form)
    departments = {d["department_code"]: d for d in catalogue.rows("departments")}
    if department not in departments:
        raise UsageError(f"未知的单位编码：{department}（见 ipwh catalogue departments）")
    leads = sorted({r["department_code"] for r in catalogue.rows("task_units") if r["unit_role"] == "lead"})
    if department not in leads:
        raise UsageError(
            f"{departments[department]['department_name']}（{department}）不是任何重点任务的牵头单位；"
            f"牵头单位：{'、'.join(leads)}"
        )
    found = assignment(catalogue, form_code, departments[department]["region_code"], department)
    when = check_period(found.form, period)
    settings = Settings.from_env()
    target = out_file or settings.home / "templates" / department / f"{form_code}_{when.code}.xlsx"
    if target.exists() and target.is_dir():
        raise UsageError(f"--out 指向的是文件夹：{target}")
    write_xlsx_form(found, when, target)
    out.print(f"已生成：{target}")
    out.print(
        f"{found.form.table_no}《{found.form.name}》　{found.department_name}　{when.label}　任务 {len(found.tasks)} 项"
    )
    out.print(f"截止报送日期：{when.due(found.form.due_days).isoformat()}；填好后放入 {settings.inbox / department}/")


def _task_form(catalogue: object, form: str | None) -> str:
    codes = [r["form_code"] for r in catalogue.rows("task_forms")]  # type: ignore[attr-defined]
    if form is not None:
        if form not in codes:
            raise UsageError(f"未知的任务报表：{form}（可用：{'、'.join(codes)}）")
        return form
    if len(codes) != 1:
        raise UsageError(f"请用 --form 指定任务报表：{'、'.join(codes)}")
    return codes[0]


@tasks_app.command("list")
@friendly
def tasks_list(
    plan: Annotated[str | None, typer.Option("--plan", help="只看该规划，如 gulou_demo")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只看逾期未完成的任务")] = False,
) -> None:
    """列出重点任务的最新填报状态与逾期情况（读取 marts.fct_task_progress，需先 ipwh run）。

    示例：ipwh tasks list --plan gulou_demo --overdue
    """
    from sources.catalogue import load

    plans = set(load().plans)
    if plan is not None and plan not in plans:
        raise UsageError(f"未知的规划编码：{plan}（可用：{'、'.join(sorted(plans))}）")
    sql = """
        select task_code, coalesce(nullif(title, ''), content) as task_name, deadline_text, lead_units,
               latest_report_period, reported_status, is_overdue, days_overdue, is_sample
        from marts.fct_task_progress
        where (? is null or plan_code = ?) and (not ? or is_overdue)
        order by plan_code, task_group_no, item_no
    """
    _, rows = query(Settings.from_env().warehouse, sql, [plan, plan, overdue])
    if not rows:
        out.print("没有符合条件的任务。")
        return
    table = Table("任务", "名称", "完成时限", "牵头单位", "最近填报", "推进状态", "逾期")
    for code, name, deadline, lead, period, status, is_overdue, days, sample in rows:
        table.add_row(
            code,
            escape(task_label(name)),
            deadline or "未规定",
            escape(lead or "（未列牵头单位）"),
            period or "未填报",
            escape(status or "—") + ("（示例）" if sample else ""),
            f"逾期 {days} 天" if is_overdue else "—",
        )
    out.print(table)
    late = sum(1 for r in rows if r[6])
    out.print(f"共 {len(rows)} 项，其中逾期未完成 {late} 项。")


def task_label(text: str | None, limit: int = TASK_LABEL_CHARS) -> str:
    """A task's title, or the first clause of its content when the plan gives no title."""
    if not text:
        return "—"
    clause = re.split(r"[，。；,;]", text, maxsplit=1)[0]
    return clause if len(clause) <= limit else clause[: limit - 1] + "…"


# --- centres ------------------------------------------------------------------------------------


@centres_app.command("import")
@friendly
def centres_import(
    path: Annotated[Path, typer.Argument(help="名册 CSV：centre_code,centre_name,applicant_name,applicant_kind,…")],
    sample: Annotated[bool, typer.Option("--sample", help="标记为示例数据")] = False,
) -> None:
    """导入中心名册（认定、复核、撤销记录）；任一行有误则整个文件不导入。

    列：centre_code,centre_name,applicant_name,applicant_kind,industry,region_code,event,event_date,
    document_no,note（event：designated/认定、re_reviewed/复核、revoked/撤销）。
    示例：ipwh centres import 中心名册_2025.csv
    """
    from sources.catalogue import load
    from sources.centres.registry import import_registry

    if not path.is_file():
        raise UsageError(f"找不到文件：{path}")
    result = import_registry(path.read_bytes(), path.name, Settings.from_env(), load(), sample=sample, actor=_actor())
    _report(result)


@centres_app.command("designate")
@friendly
def centres_designate(
    code: Annotated[str, typer.Option("--code", help="中心编码（收件夹名），如 FZ-SW-01")],
    name: Annotated[str, typer.Option("--name", help="中心名称")],
    applicant: Annotated[str, typer.Option("--applicant", help="建设单位")],
    kind: Annotated[str, typer.Option("--kind", help=f"建设单位类型，可选：{_applicant_kinds()}")],
    industry: Annotated[str, typer.Option("--industry", help="产业领域")],
    region: Annotated[str, typer.Option("--region", "-r", help="所在区划代码，如 350102")],
    on: Annotated[str, typer.Option("--date", help="认定日期，如 2025-06-30")],
    document: Annotated[str | None, typer.Option("--doc", help="认定文号")] = None,
) -> None:
    """登记一个新认定的中心。

    示例：ipwh centres designate --code FZ-SW-01 --name 福州软件产业知识产权协同保护与运营中心
    --applicant 某软件公司 --kind enterprise --industry 软件和信息服务 --region 350102 --date 2023-06-30
    """
    fields = {
        "centre_code": code,
        "centre_name": name,
        "applicant_name": applicant,
        "applicant_kind": kind,
        "industry": industry,
        "region_code": region,
        "event": "designated",
        "event_date": on,
        "document_no": document or "",
    }
    _record(fields)


@centres_app.command("review")
@friendly
def centres_review(
    code: Annotated[str, typer.Argument(help="中心编码")],
    on: Annotated[str, typer.Option("--date", help="复核通过日期，如 2026-05-10")],
    document: Annotated[str | None, typer.Option("--doc", help="复核文号")] = None,
    revoke: Annotated[bool, typer.Option("--revoke", help="复核未通过，撤销认定")] = False,
) -> None:
    """登记已作出的复核结果（每三年一次）：通过，或 --revoke 撤销。

    日期不能晚于今天；下次复核到期日见 ipwh centres list。

    示例：ipwh centres review FZ-SW-01 --date 2026-06-30
    """
    event = "revoked" if revoke else "re_reviewed"
    _record({"centre_code": code, "event": event, "event_date": on, "document_no": document or ""})


def _record(fields: dict[str, str]) -> None:
    from sources.catalogue import load
    from sources.centres.registry import record_event

    _report(record_event(Settings.from_env(), load(), fields, actor=_actor()))


def _report(result: object) -> None:
    from sources.centres.registry import ImportResult

    assert isinstance(result, ImportResult)
    if result.duplicate_file:
        out.print(f"该名册文件（{result.sha256[:12]}…）此前已导入，未重复处理。")
        return
    if result.problems:
        err.print(f"[red]未导入[/red] {escape(result.file_name)}：发现 {len(result.problems)} 处问题", markup=True)
        for line in result.problems:
            err.print(f"  - {escape(line)}")
        raise typer.Exit(1)
    out.print(f"已登记 {result.recorded} 条记录；此前已登记而跳过 {result.skipped} 条。")
    out.print("运行 ipwh run 更新监测表；中心年度总结放入 var/inbox/centres/<中心编码>/ 后运行 ipwh ingest --inbox。")


@centres_app.command("list")
@friendly
def centres_list() -> None:
    """列出中心：认定日期、年度总结应报与已报、下次复核与复核状态（读取 marts，需先 ipwh run）。

    示例：ipwh centres list
    """
    sql = """
        select centre_code, centre_name, region_name, designated_on, summaries_expected, summaries_received,
               latest_summary_year, next_review_due, review_status, is_sample
        from marts.fct_industry_centres order by designated_on, centre_code
    """
    _, rows = query(Settings.from_env().warehouse, sql)
    if not rows:
        out.print("名册中还没有中心。登记：ipwh centres designate …，或 ipwh centres import 名册.csv")
        return
    table = Table("编码", "名称", "区划", "认定日期", "总结 已报/应报", "最近总结", "下次复核", "复核状态")
    for code, name, region, day, expected, received, latest, review_due, status, sample in rows:
        table.add_row(
            escape(code),
            escape(name) + ("（示例）" if sample else ""),
            region or "—",
            day.isoformat(),
            f"{received}/{expected}",
            f"{latest}年度" if latest else "—",
            review_due.isoformat() if review_due else "—",
            status,
        )
    out.print(table)


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "ipwh"
