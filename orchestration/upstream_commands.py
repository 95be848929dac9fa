"""`ipwh upstream …`: on the level above (a provincial installation), register the offices' keys and
load their signed return packages as their submissions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from core.settings import Settings
from orchestration.console import UsageError, err, friendly, out


def register(app: typer.Typer) -> None:
    """Add this module's commands to `ipwh`."""
    upstream_app = typer.Typer(
        help="上级机关：登记下级单位的签名公钥，载入下级报送包。\n\n示例：ipwh upstream ingest returns_2025_v1.zip",
        no_args_is_help=True,
    )
    app.add_typer(upstream_app, name="upstream")
    upstream_app.command("register-key")(register_key)
    upstream_app.command("keys")(list_keys)
    upstream_app.command("ingest")(ingest)


@friendly
def register_key(
    region: Annotated[str, typer.Argument(help="下级单位的区划代码，如 350100")],
    key: Annotated[str, typer.Argument(help="下级单位 ipwh returns key 打印的一行公钥，或其 .pub 文件")],
) -> None:
    """登记下级单位的报送签名公钥（保存在 IPWH_HOME/keys/upstream/<区划>.pub）。

    示例：ipwh upstream register-key 350100 350100.pub
    """
    from reports.signing import VerifyError
    from reports.upstream_keys import parse_key_argument
    from reports.upstream_keys import register as do_register
    from sources.catalogue import load

    regions = {r["region_code"]: r["region_name"] for r in load().rows("regions")}
    if region not in regions:
        raise UsageError(f"区划 {region} 不在目录的区划表中")
    try:
        public = parse_key_argument(key)
    except VerifyError as exc:
        raise UsageError(str(exc)) from None
    path, previous = do_register(Settings.from_env().keys, region, public)
    out.print(f"[green]已登记[/green] {regions[region]}（{region}）的公钥，密钥编号 {public.key_id} → {path}")
    if previous is not None and previous.raw != public.raw:
        out.print(f"  取代此前登记的密钥 {previous.key_id}：此后只认新密钥签名的报送包。")


@friendly
def list_keys() -> None:
    """列出已登记的下级单位公钥。

    示例：ipwh upstream keys
    """
    from reports.upstream_keys import all_registered
    from sources.catalogue import load

    regions = {r["region_code"]: r["region_name"] for r in load().rows("regions")}
    table = Table("区划", "名称", "密钥编号", "公钥", title="已登记的下级单位公钥")
    for code, key in all_registered(Settings.from_env().keys).items():
        table.add_row(code, regions.get(code, "（目录中没有）"), key.key_id, key.text)
    out.print(table)


@friendly
def ingest(
    packages: Annotated[list[Path], typer.Argument(help="下级单位的报送包（.zip），可多个")],
    by: Annotated[str, typer.Option("--by", help="载入人")] = "",
) -> None:
    """核验并载入下级单位的报送包：签名须与该单位登记的公钥一致；通过后其数据作为该单位的报送
    （版本、更正、回执同普通报表），下一次 ipwh run 后汇入本级的指标。有包被拒收时以状态码 1 结束。

    示例：ipwh upstream ingest returns_2025_v1.zip --by 李四
    """
    from reports.upstream import Refused, ingest_package
    from sources.intake.receipts import render_text

    settings = Settings.from_env()
    actor = by.strip() or "ipwh"
    refused = False
    for package in packages:
        try:
            outcome = ingest_package(package, settings, actor=actor)
        except Refused as exc:  # this installation's own region setting is wrong
            err.print(f"[red]错误：[/red]{exc}", markup=True)
            raise typer.Exit(2) from None
        out.print(escape(render_text(outcome.receipt)))
        if outcome.receipt_path:
            out.print(f"回执已保存：{outcome.receipt_path}")
        if outcome.accepted:
            out.print(f"[green]已载入[/green] {outcome.values} 个数据；运行 ipwh run 后汇入本级指标。\n")
        elif outcome.receipt.outcome != "duplicate":
            refused = True
    if refused:
        raise typer.Exit(1)
