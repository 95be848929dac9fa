"""`ipwh template | ingest | submissions | approve | receipt`: the departmental-submission commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Column, Table

from core.raw_zone import RawZoneUnavailable
from core.settings import Settings, local_now
from core.warehouse import WarehouseUnavailable, query, read_only, writer
from orchestration.console import UsageError, err, friendly, out

_MANY = 20  # beyond this many files, print a summary instead of every receipt


def register(app: typer.Typer) -> None:
    app.command("template")(template)
    app.command("ingest")(ingest)
    app.command("submissions")(submissions)
    app.command("approve")(approve)
    app.command("receipt")(receipt)
    app.command("records")(records)
    app.command("demo")(demo)


@friendly
def template(
    form: Annotated[str, typer.Argument(help="报表编码，如 ip_creation_monthly（见 ipwh catalogue forms）")],
    region: Annotated[str, typer.Option("--region", "-r", help="地区代码，如 350102")],
    period: Annotated[str, typer.Option("--period", "-p", help="报告期：月报 2026-10，季报 2026Q3，年报 2026")],
    department: Annotated[str | None, typer.Option("--department", "-d", help="同一地区有多个填报单位时指定")] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="输出文件（默认 var/templates/<单位>/…）")
    ] = None,
    file_format: Annotated[str, typer.Option("--format", "-f", help="xlsx（默认）或 csv")] = "xlsx",
) -> None:
    """生成某单位某报告期的空白报表模板（.xlsx，或供系统导出用的 CSV）。

    示例：ipwh template ip_creation_monthly --region 350102 --period 2026-10
    """
    from sources.catalogue import load
    from sources.forms.spec import assignment, check_period

    if file_format not in ("xlsx", "csv"):
        raise UsageError(f"--format 只能是 xlsx 或 csv，收到 {file_format!r}")
    settings = Settings.from_env()
    found = assignment(load(), form, region, department)
    when = check_period(found.form, period)
    target = out_file or settings.home / "templates" / found.department_code / f"{form}_{when.code}.{file_format}"
    if target.exists() and target.is_dir():
        raise UsageError(f"--out 指向的是文件夹：{target}")
    if file_format == "xlsx":
        from sources.forms.xlsx_template import write_xlsx_form

        write_xlsx_form(found, when, target)
    else:
        from sources.forms.csv_template import write_csv_form

        write_csv_form(found, when, target)
    out.print(f"已生成：{target}")
    out.print(f"{found.form.table_no}《{found.form.name}》　{found.department_name}　{when.label}")
    due = when.due(found.form.due_days).isoformat()
    out.print(f"截止报送日期：{due}；填好后放入 {settings.inbox / found.department_code}/")


@friendly
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="报表文件或文件夹（可多个）")] = None,
    inbox: Annotated[bool, typer.Option("--inbox", help="处理收件箱 var/inbox/<单位>/ 中的全部文件")] = False,
    department: Annotated[str | None, typer.Option("--department", "-d", help="核对文件是否属于该单位")] = None,
) -> None:
    """接收报表：归档、校验、入库，并为每个文件出具回执。

    有文件被退回时以状态码 1 结束。示例：ipwh ingest 鼓楼区_2026-10.xlsx；ipwh ingest --inbox
    """
    from sources.intake.pipeline import Incoming, inbox_files
    from sources.intake.pipeline import ingest as run_ingest

    settings = Settings.from_env()
    items: list[Incoming] = inbox_files(settings) if inbox else []
    for path in paths or []:
        items += _expand(path, settings, department)
    if not paths and not inbox:
        raise UsageError("请给出文件或文件夹，或用 --inbox 处理收件箱。示例：ipwh ingest --inbox")
    if not items:
        out.print("没有需要处理的文件。")
        return
    lagging: RawZoneUnavailable | None = None
    try:
        outcomes = run_ingest(items, settings)
    except RawZoneUnavailable as exc:  # recorded and receipted: show the receipts, then why the zone lags
        outcomes, lagging = exc.outcomes, exc
    counts = {"accepted": 0, "rejected": 0, "duplicate": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
        if len(outcomes) <= _MANY or outcome.status == "rejected":
            from sources.intake.receipts import render_text

            out.print(escape(render_text(outcome.receipt)))
            if outcome.receipt_path:
                out.print(f"回执已保存：{outcome.receipt_path}\n")
    accepted, rejected, duplicate = counts["accepted"], counts["rejected"], counts["duplicate"]
    out.print(f"共 {len(outcomes)} 个文件：接收 {accepted}，退回 {rejected}，重复未处理 {duplicate}。")
    if lagging is not None:
        err.print(f"[red]错误：[/red]{escape(str(lagging))}", markup=True)
        raise typer.Exit(1)
    if counts["rejected"]:
        raise typer.Exit(1)


def _expand(path: Path, settings: Settings, department: str | None) -> list:
    from sources.intake.pipeline import Incoming, inbox_department, is_submission_file

    if not path.exists():
        raise UsageError(f"找不到文件或文件夹：{path}")
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return [Incoming(f, department or inbox_department(f, settings)) for f in files if is_submission_file(f)]


@friendly
def submissions(
    period: Annotated[str | None, typer.Option("--period", "-p", help="报告期，如 2026-10、2026Q3、2026")] = None,
    form: Annotated[str | None, typer.Option("--form", help="只看该报表")] = None,
    department: Annotated[str | None, typer.Option("--department", "-d", help="只看该单位")] = None,
) -> None:
    """列出已收到的报表：版本、结果、状态、问题数。

    示例：ipwh submissions --period 2026-10
    """
    from sources.intake.status import STATUS_LABELS, STATUS_SQL
    from sources.periods import Period

    settings = Settings.from_env()
    if period:
        Period.parse(period)  # a clear message for a malformed period, before any query
    sql = f"""
        with status as ({STATUS_SQL})
        select s.submission_id, s.received_at, s.form_code, s.department_code, s.period, s.version, s.outcome,
               st.status, s.error_count, s.warning_count, s.file_name, s.is_sample
        from raw.submissions as s left join status as st using (submission_id)
        where (? is null or s.period = ?) and (? is null or s.form_code = ?) and (? is null or s.department_code = ?)
        order by s.period, s.form_code, s.department_code, s.received_at
    """
    _, rows = query(settings.warehouse, sql, [period, period, form, form, department, department])
    if not rows:
        out.print("没有符合条件的报送记录。")
        return
    table = Table("接收时间", "报表", "单位", "报告期", "版本", "状态", "错误", "提示", "文件")
    # The receipt number is copied into `ipwh receipt`: never wrapped or cut short.
    table.columns.insert(0, Column("回执编号", no_wrap=True, min_width=max(len(r[0]) for r in rows)))
    for sid, at, form_code, dept, per, version, _outcome, status, errors, warnings, name, sample in rows:
        table.add_row(
            sid,
            f"{at:%Y-%m-%d %H:%M}",
            form_code or "—",
            dept or "—",
            per or "—",
            str(version) if version else "—",
            STATUS_LABELS.get(status, status) + ("（示例）" if sample else ""),
            str(errors),
            str(warnings),
            escape(name),
        )
    out.print(table)
    out.print(f"共 {len(rows)} 条。")


@friendly
def approve(
    submission_ids: Annotated[list[str] | None, typer.Argument(help="回执编号（可多个）")] = None,
    period: Annotated[str | None, typer.Option("--period", "-p", help="审核该报告期全部已接收的现行版本")] = None,
    form: Annotated[str | None, typer.Option("--form", help="与 --period 同用，只审核该报表")] = None,
    by: Annotated[str | None, typer.Option("--by", help="审核人（默认当前用户）")] = None,
    note: Annotated[str | None, typer.Option("--note", help="审核意见")] = None,
) -> None:
    """分析人员审核已接收的报表（状态：已接收 → 已审核）。

    示例：ipwh approve --period 2026-10 --by 张三
    """
    import getpass

    from sources.intake.status import STATUS_LABELS, STATUS_SQL
    from sources.intake.store import add_event
    from sources.periods import Period

    if not submission_ids and not period:
        raise UsageError("请给出回执编号，或用 --period 审核整个报告期。示例：ipwh approve --period 2026-10")
    if period:
        Period.parse(period)
    settings = Settings.from_env()
    actor = by or getpass.getuser()
    if not settings.warehouse.exists():
        raise WarehouseUnavailable("仓库尚不存在：还没有接收过任何报表。")
    with writer(settings.warehouse) as con:
        try:
            current = con.execute(
                f"""
                with status as ({STATUS_SQL})
                select s.submission_id, st.status, s.period, s.form_code
                from raw.submissions as s inner join status as st using (submission_id)
                """
            ).fetchall()
        except Exception as exc:  # duckdb.CatalogException: no raw tables yet
            raise WarehouseUnavailable(f"仓库中还没有报送记录：{exc}") from exc
        by_id = {sid: (status, per, form_code) for sid, status, per, form_code in current}
        chosen: list[str] = []
        refused: list[str] = []
        for sid in submission_ids or []:
            if sid not in by_id:
                refused.append(f"{sid}：没有这个回执编号")
            elif by_id[sid][0] != "accepted":
                refused.append(
                    f"{sid}：当前状态为“{STATUS_LABELS.get(by_id[sid][0], by_id[sid][0])}”，只有已接收的现行版本可审核"
                )
            else:
                chosen.append(sid)
        if period:
            chosen += [
                sid
                for sid, (status, per, form_code) in by_id.items()
                if status == "accepted" and per == period and (form is None or form_code == form)
            ]
        chosen = sorted(set(chosen))
        if chosen:
            add_event(con, chosen, "approved", actor, note, local_now())
    for line in refused:
        err.print(f"未审核：{escape(line)}")
    out.print(f"已审核 {len(chosen)} 份报表（审核人：{escape(actor)}）。")
    if refused:
        raise typer.Exit(1)


@friendly
def receipt(submission_id: Annotated[str, typer.Argument(help="回执编号，如 S20261105093012ab12cd34")]) -> None:
    """重新显示某份报表的回执。

    示例：ipwh receipt S20261105093012ab12cd34
    """
    settings = Settings.from_env()
    if not submission_id.isalnum():
        raise UsageError(f"回执编号只含字母和数字：{submission_id!r}")
    matches = sorted(settings.receipts.glob(f"*/{submission_id}.txt"))
    if not matches:
        restored = _restore_receipt(settings, submission_id)
        if restored is None:
            raise UsageError(f"找不到回执 {submission_id}（回执目录：{settings.receipts}；仓库中也没有这个回执编号）")
        matches = [restored]
    out.print(escape(matches[0].read_text(encoding="utf-8")))


def _restore_receipt(settings: Settings, submission_id: str) -> Path | None:
    """A committed submission's receipt that is not on disk (e.g. lost to a crash), written again from its rows."""
    import duckdb

    from sources.catalogue import load
    from sources.intake.receipt_rows import receipt_from_rows
    from sources.intake.receipts import receipt_folder, write_receipt

    if not settings.warehouse.exists():
        return None
    with read_only(settings.warehouse) as con:
        try:
            found = receipt_from_rows(con, load(), submission_id)
        except duckdb.CatalogException:
            return None  # no raw tables yet
    if found is None:
        return None
    return write_receipt(found, receipt_folder(settings.receipts, found.department_code))


@friendly
def records(
    path: Annotated[Path, typer.Argument(help="专利明细文件（Parquet 或 CSV）")],
    as_of: Annotated[str, typer.Option("--as-of", help="明细的截止日期，如 2026-10-31")],
    sample: Annotated[bool, typer.Option("--sample", help="标记为示例数据")] = False,
) -> None:
    """载入专利逐件明细（一件申请一行），用于计算职务发明占比、代理占比等派生指标。

    示例：ipwh records 专利明细_2026-10.parquet --as-of 2026-10-31
    """
    from datetime import date

    from sources.intake.records import load_extract

    try:
        cutoff = date.fromisoformat(as_of)
    except ValueError:
        raise UsageError(f"--as-of 应为日期，如 2026-10-31，收到 {as_of!r}") from None
    if not path.is_file():
        raise UsageError(f"找不到文件：{path}")
    outcome = load_extract(path, cutoff, Settings.from_env(), sample=sample)
    if outcome.duplicate:
        out.print(f"该明细（{outcome.extract_id[:12]}…）此前已载入，未重复处理。")
        return
    if not outcome.loaded:
        err.print(f"未载入 {escape(outcome.file_name)}：")
        for line in outcome.problems:
            err.print(f"  - {escape(line)}")
        raise typer.Exit(1)
    out.print(f"已载入 {escape(outcome.file_name)}：{outcome.row_count} 条记录，截止 {cutoff.isoformat()}。")


@friendly
def demo(
    follow_up: Annotated[
        bool, typer.Option("--follow-up", help="示例后续：永泰县财政局更正重报，示例分析员书面说明逾期与缺报")
    ] = False,
) -> None:
    """生成并载入示例场景（示例数据）：福州市及 13 个县（市）区、鼓楼区街镇、鲤城区，2019-01 至 2026-10。

    各单位报表经真实模板填写后放入收件箱并正常接收；含逾期、单位错误、更正重报、退回等典型情形。
    再次运行不会重复载入。--follow-up：质量检查拦下问题之后的处理（更正重报、书面说明），再次运行无变化。
    示例：ipwh demo && ipwh run；ipwh demo --follow-up && ipwh run
    """
    settings = Settings.from_env()
    if follow_up:
        _demo_follow_up(settings)
        return
    from orchestration.demo import build_demo

    out.print("正在生成示例数据（报表模板填写 → 收件箱 → 接收）…")
    summary = build_demo(settings)
    records = "专利明细此前已载入" if summary.records_already_loaded else f"专利明细 {summary.records} 条"
    elsewhere = (
        f"，已由运行中的收件箱传感器（ipwh ui）接收 {summary.taken_elsewhere}（回执见 {settings.receipts}）"
        if summary.taken_elsewhere
        else ""
    )
    out.print(
        f"示例报表 {summary.files} 份：本次接收 {summary.accepted}，退回 {summary.rejected}，"
        f"此前已收到 {summary.duplicate}{elsewhere}；{records}。"
    )
    if summary.already_waiting:
        out.print(f"收件箱中原有的其他文件 {summary.already_waiting} 份也已一并处理（见各自回执）。")
    for path in summary.rejected_receipts:
        out.print(f"\n退回回执（{path}）：")
        out.print(escape(path.read_text(encoding="utf-8")))
    if summary.defects:
        out.print("示例中预置的问题（供质量检查演示）：")
        for defect in summary.defects:
            where = f"{defect.get('department_code')} {defect.get('form_code')} {defect.get('period')}"
            out.print(f"  - {escape(where)}：{escape(str(defect.get('what', '')))}")
    out.print("下一步：ipwh run 构建仓库；ipwh submissions --period 2026-10 查看报送情况。")


def _demo_follow_up(settings: Settings) -> None:
    from orchestration.demo_follow_up import run_follow_up

    if not settings.warehouse.exists():
        raise UsageError("仓库尚不存在：请先运行 ipwh demo 与 ipwh run，再运行 ipwh demo --follow-up。")
    out.print("示例后续：更正重报（报表模板 → 收件箱 → 接收）与分析人员书面说明…")
    summary = run_follow_up(settings)
    for name in summary.resubmitted:
        out.print(f"  已接收更正重报：{escape(name)}")
    if summary.already_received:
        out.print(f"  更正报表此前已接收（{summary.already_received} 份），未重复处理。")
    for line in summary.rejected:
        err.print(f"  [red]更正报表被退回：[/red]{escape(line)}")
    for line in summary.explained:
        out.print(f"  示例分析员已书面说明：{escape(line)}")
    out.print("下一步：ipwh run 重新构建并检查；ipwh check --period 2026-10 查看关卡。")
    if summary.rejected:
        raise typer.Exit(1)
