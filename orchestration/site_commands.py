"""`ipwh site`: the monitoring site (指标监测网站) from the analysts' snapshot, into <IPWH_HOME>/site/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from core.settings import Settings
from orchestration.console import err, friendly, out


def register(app: typer.Typer) -> None:
    """Add this module's commands to `ipwh`."""
    app.command("site")(site)


@friendly
def site(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="输出文件夹（默认 <IPWH_HOME>/site）")] = None,
) -> None:
    """由分析快照生成指标监测网站（静态 HTML，可直接用浏览器打开 index.html，无需联网）。

    示例：ipwh site　然后打开 var/site/index.html
    """
    from monitoring_site.build import build_site
    from monitoring_site.data import SiteDataError

    settings = Settings.from_env()
    try:
        result = build_site(settings, output)
    except SiteDataError as exc:
        err.print(f"[red]错误：[/red]{escape(str(exc))}", markup=True)
        raise typer.Exit(1) from None
    out.print(f"监测网站已生成：{result.folder / 'index.html'}（{len(result.pages)} 个页面，{result.seconds} 秒）")
