"""`ipwh returns …`: build the returns into the outbox, submit them upward, list them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from core.settings import Settings, local_now
from orchestration.console import UsageError, err, friendly, out
from sources.periods import Period

_TYPE_LABEL = {"month": "月报", "quarter": "季报", "year": "年报"}


def register(app: typer.Typer) -> None:
    """Add this module's commands to `ipwh`."""
    returns_app = typer.Typer(
        help="上报报表：生成（须通过质量关口）、报送与查看。\n\n示例：ipwh returns build --period 2026-10",
        no_args_is_help=True,
    )
    app.add_typer(returns_app, name="returns")
    returns_app.command("build")(build)
    returns_app.command("submit")(submit)
    returns_app.command("send")(send)
    returns_app.command("list")(list_returns)
    returns_app.command("key")(show_key)
    returns_app.command("verify")(verify)


@friendly
def build(
    period: Annotated[
        str | None, typer.Option("--period", "-p", help="报告期：月 2026-10、季 2026Q3、年 2025；缺省为最近结束的各期")
    ] = None,
    only: Annotated[list[str] | None, typer.Option("--return", "-r", help="只生成该报表（编码，可重复）")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="更正原因（报送后重新生成时写入变化清单）")] = None,
) -> None:
    """生成报告期的全部报表到发件箱（先检查质量关口；未通过则不写任何文件）。

    示例：ipwh returns build --period 2026Q3
    """
    from reports.build import GateClosed, ReturnsError, build_in_warehouse, latest_ended_periods
    from reports.registry import SubmitError
    from reports.spec import load_definitions

    settings = Settings.from_env()
    definitions = load_definitions()
    if only:
        unknown = [code for code in only if code not in definitions]
        if unknown:
            raise UsageError(f"没有这些报表：{'、'.join(unknown)}。可选：{'、'.join(definitions)}")
    periods = [Period.parse(period)] if period else latest_ended_periods(settings.today)
    if period and not periods[0].has_ended(settings.today):
        raise UsageError(f"报告期 {periods[0].code} 尚未结束（今天是 {settings.today}），不能生成报表。")
    failed = False
    for p in periods:
        try:
            outcome = build_in_warehouse(settings.warehouse, settings.outbox, p, only=only, reason=reason)
        except GateClosed as exc:
            err.print(f"[red]{exc}[/red]", markup=True)
            failed = True
            continue
        except ReturnsError as exc:
            if period:
                err.print(f"[red]错误：[/red]{exc}", markup=True)
                raise typer.Exit(1) from None
            out.print(f"{p.label}：{exc}")
            continue
        except SubmitError as exc:
            err.print(f"[red]错误：[/red]{exc}", markup=True)
            raise typer.Exit(1) from None
        if outcome.unchanged_from is not None:
            out.print(f"{p.label}：与已报送的第 {outcome.unchanged_from} 版相同，未生成新版本。")
            continue
        sample = "（示例数据）" if any(b.sample for b in outcome.built) else ""
        out.print(f"[green]{p.label}[/green] 第 {outcome.version} 版{sample} → {outcome.folder}")
        for b in outcome.built:
            out.print(f"  {b.file_name}  sha256 {b.sha256[:16]}…  依据报送 {len(b.inputs)} 份")
        if outcome.changes:
            out.print(f"  相对已报送版本有 {len(outcome.changes)} 处变化，见 change_list.csv 与各表“更正说明”工作表")
        for code, message in outcome.failed.items():
            err.print(f"[red]  {code} 未能生成：[/red]{message}", markup=True)
            failed = True
    if failed:
        raise typer.Exit(1)


@friendly
def submit(
    period: Annotated[str, typer.Option("--period", "-p", help="报告期，如 2026-10")],
    by: Annotated[str, typer.Option("--by", help="报送人")] = "",
    note: Annotated[str | None, typer.Option("--note", help="备注")] = None,
    to: Annotated[str | None, typer.Option("--to", help=_TO_HELP)] = None,
    user: Annotated[str | None, typer.Option("--user", help=_USER_HELP)] = None,
) -> None:
    """报送已生成的最新版本：核对文件、锁定所依据的部门报送、打包（zip）并记录报送人与时间；
    --to 时再把报送包送往上级（传送文件夹或上级平台）。

    示例：ipwh returns submit --period 2026-10 --by 张三 --to /mnt/传送/省局
    """
    from core.warehouse import WarehouseUnavailable, writer
    from reports.registry import SubmitError
    from reports.registry import submit as do_submit

    settings = Settings.from_env()
    p = Period.parse(period)
    actor = by.strip()
    if not actor:
        raise UsageError("请用 --by 写明报送人，例如 --by 张三")
    if not settings.warehouse.exists():
        raise WarehouseUnavailable(f"仓库文件 {settings.warehouse} 尚不存在：请先运行 `make run`。")
    try:
        with writer(settings.warehouse) as con:
            done = do_submit(con, settings.outbox, p, actor=actor, at=local_now().replace(microsecond=0), note=note)
    except SubmitError as exc:
        err.print(f"[red]错误：[/red]{exc}", markup=True)
        raise typer.Exit(1) from None
    out.print(
        f"[green]已报送[/green] {done.submission_no}（{p.label} 第 {done.version} 版），报送人 {actor}，"
        f"{done.submitted_at:%Y-%m-%d %H:%M}"
    )
    out.print(f"  报送包：{done.package}（sha256 {done.package_sha256[:16]}…）")
    out.print(f"  已锁定所依据的部门报送 {done.locked} 份：这些报表不再接受新版本；更正请重新生成新版本。")
    if to:
        _deliver(done.package, to, user)


_TO_HELP = "送往上级：传送文件夹路径，或上级平台地址 https://…（须同时给 --user）"
_USER_HELP = "上级平台上本单位的账户；密码取自环境变量 IPWH_UPSTREAM_PASSWORD，未设时提示输入"


@friendly
def send(
    period: Annotated[str, typer.Option("--period", "-p", help="报告期，如 2025")],
    to: Annotated[str, typer.Option("--to", help=_TO_HELP)],
    user: Annotated[str | None, typer.Option("--user", help=_USER_HELP)] = None,
) -> None:
    """把已报送的最新报送包（再次）送往上级：传送文件夹（原子写入，不覆盖）或上级平台（保存上级回执）。

    示例：ipwh returns send --period 2025 --to https://省局平台/ --user 350100.amr
    """
    from core.warehouse import read_only

    settings = Settings.from_env()
    p = Period.parse(period)
    if not settings.warehouse.exists():
        raise UsageError(f"仓库文件 {settings.warehouse} 尚不存在")
    with read_only(settings.warehouse) as con:
        recorded = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'returns' "
            "and table_name = 'submissions'"
        ).fetchone()[0]
        rows = (
            con.execute(
                "select package_file from returns.submissions where period_code = ? order by version", [p.code]
            ).fetchall()
            if recorded
            else []
        )
    if not rows:
        raise UsageError(f"{p.label}尚未报送：请先运行 ipwh returns submit --period {p.code}")
    package = settings.outbox / rows[-1][0]
    if not package.is_file():
        raise UsageError(f"报送包 {package} 不见了：请从备份恢复")
    _deliver(package, to, user)


def _deliver(package: Path, to: str, user: str | None) -> None:
    import os

    from reports.delivery import DeliveryError, to_folder, to_portal

    try:
        if to.startswith(("https://", "http://")):
            if not user:
                raise UsageError("送往上级平台须用 --user 给出本单位在上级平台的账户")
            password = os.environ.get("IPWH_UPSTREAM_PASSWORD") or typer.prompt("上级平台密码", hide_input=True)
            done = to_portal(package, to, user, password)
        else:
            done = to_folder(package, Path(to))
    except DeliveryError as exc:
        err.print(f"[red]未能送达：[/red]{exc}", markup=True)
        raise typer.Exit(1) from None
    if done.receipt is None:
        out.print(f"[green]已送达[/green]传送文件夹：{done.where}")
        return
    outcome = done.receipt.get("outcome")
    out.print(f"上级平台 {done.where} 的回执（已保存：{done.receipt_path}）：")
    out.print(str(done.receipt.get("receipt", "")), markup=False)
    if outcome not in ("accepted", "duplicate"):
        err.print("[red]上级拒收了报送包：[/red]见上方回执。", markup=True)
        raise typer.Exit(1)


@friendly
def list_returns() -> None:
    """列出报表定义、发件箱中已生成的版本与报送记录。

    示例：ipwh returns list
    """
    from core.warehouse import read_only
    from reports.registry import MANIFEST
    from reports.spec import display_title, load_definitions
    from sources.catalogue import load

    settings = Settings.from_env()
    plans = load().plans
    table = Table("编码", "表号", "报表", "报告期类型", title="报表定义（reports/definitions）")
    for d in load_definitions().values():
        table.add_row(d.code, d.table_no, display_title(d, plans), "、".join(_TYPE_LABEL[t] for t in d.period_types))
    out.print(table)
    submitted: dict[tuple[str, int], tuple[str, str]] = {}
    if settings.warehouse.exists():
        with read_only(settings.warehouse) as con:
            found = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'returns' "
                "and table_name = 'submissions'"
            ).fetchone()[0]
            if found:
                for period_code, version, who, at in con.execute(
                    "select period_code, version, submitted_by, submitted_at from returns.submissions"
                ).fetchall():
                    submitted[(period_code, version)] = (who, f"{at:%Y-%m-%d %H:%M}")
    built = Table("报告期", "版本", "文件数", "状态", title=f"发件箱 {settings.outbox}")
    for folder in sorted(settings.outbox.glob("*/v*")) if settings.outbox.exists() else []:
        if not (folder / MANIFEST).exists():
            continue
        version = int(folder.name[1:]) if folder.name[1:].isdigit() else 0
        who = submitted.get((folder.parent.name, version))
        state = f"已报送（{who[0]}，{who[1]}）" if who else "未报送"
        built.add_row(folder.parent.name, folder.name, str(len(list(folder.glob("*.xlsx")))), state)
    out.print(built)


@friendly
def show_key() -> None:
    """打印本系统的报送签名公钥（首次运行时生成密钥对，保存在 IPWH_HOME/keys/）。

    把这行公钥告知上级机关登记；上级用它核验报送包确实来自本单位且未被改动。
    示例：ipwh returns key
    """
    from reports.signing import PUBLIC_KEY, SigningKeyError, key_pair

    settings = Settings.from_env()
    folder = settings.home / "keys"
    try:
        _, public = key_pair(folder)
    except SigningKeyError as exc:
        err.print(f"[red]错误：[/red]{exc}", markup=True)
        raise typer.Exit(1) from None
    out.print(public.text, markup=False)
    out.print(f"密钥编号 {public.key_id}（Ed25519）；公钥文件 {folder / PUBLIC_KEY}；私钥只保存在本机，请勿外传。")


@friendly
def verify(
    package: Annotated[Path, typer.Argument(help="报送包（.zip）")],
    key: Annotated[
        str | None,
        typer.Option("--key", "-k", help="发送方登记的公钥：一行 base64 或 .pub 文件路径；缺省为本系统自己的公钥"),
    ] = None,
) -> None:
    """核验报送包：签名、每个文件的 SHA-256、清单，并列出包内内容。核验不通过时以状态码 1 结束。

    示例：ipwh returns verify returns_2025_v1.zip --key 350100.pub
    """
    from reports.signing import PublicKey, SigningKeyError, VerifyError, key_pair, verify_package

    settings = Settings.from_env()
    try:
        if key is None:
            _, trusted = key_pair(settings.home / "keys")
            out.print(f"未指定 --key：用本系统自己的公钥 {trusted.key_id} 核验。")
        else:
            candidate = Path(key)
            trusted = PublicKey.parse(candidate.read_text(encoding="utf-8") if candidate.is_file() else key)
        done = verify_package(package, trusted)
    except (VerifyError, SigningKeyError) as exc:
        err.print(f"[red]核验未通过：[/red]{exc}", markup=True)
        raise typer.Exit(1) from None
    manifest = done.manifest
    out.print(
        f"[green]核验通过[/green]：签名有效（密钥 {done.key_id}），"
        f"{len(done.files)} 个文件的 SHA-256 均与签名清单一致。"
    )
    signer = done.signer
    out.print(
        f"  {manifest.get('period_label', manifest.get('period'))} 第 {manifest.get('version')} 版"
        f"{'（示例数据）' if manifest.get('sample') else ''}；报送编号 {signer.get('submission_no', '—')}，"
        f"报送人 {signer.get('submitted_by', '—')}，{signer.get('submitted_at', '—')}"
    )
    table = Table("文件", "字节", "SHA-256", title="包内文件")
    for entry in done.files:
        table.add_row(entry["name"], str(entry["bytes"]), entry["sha256"][:16] + "…")
    out.print(table)
    exchange = manifest.get("sdmx")
    if exchange:
        out.print(
            f"  SDMX-CSV 数据 {exchange['data']}：{exchange.get('checked_observations')} 条观测，"
            f"符合数据结构定义 {exchange.get('structure_id')}（{exchange['structure']}）"
        )
        elements = exchange.get("elements")
        if elements:
            out.print(
                f"  数据元 SDMX-CSV {elements['data']}：{elements.get('checked_observations')} 条观测"
                f"（{exchange.get('region_name') or ''}{exchange.get('region_code', '')} 及其下级区划），"
                f"符合 {elements.get('structure_id')}；上级机关可用 ipwh upstream ingest 载入"
            )
    for entry in manifest.get("returns", []):
        out.print(f"  {entry.get('table_no', '')} {entry.get('title', entry.get('code'))}：{entry.get('rows', '')} 行")
