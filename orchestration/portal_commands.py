"""`ipwh portal`: set the portal up (accounts from the catalogue) and serve it with waitress."""

from __future__ import annotations

import os
import threading
from typing import Annotated

import typer

from orchestration.console import friendly, out

portal_app = typer.Typer(help="网上报送平台：各单位登录报送，统计分析员审核。", invoke_without_command=True)

# How often the server records queued submissions (e.g. after a build released the warehouse).
MERGE_EVERY_SECONDS = 10.0


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.config.settings.embedded")
    import django

    django.setup()


def _setup() -> None:
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from portal.accounts.setup import ensure_accounts

    password_file = settings.PORTAL_HOME / "initial_passwords.csv"
    created = ensure_accounts(password_file)
    if created:
        out.print(f"已创建 {len(created)} 个账户（管理员 admin、统计分析员 analyst、各填报单位以单位代码为用户名）。")
    out.print(f"初始密码见 {password_file}（仅本机账户可读；首次登录须修改密码）。")


@portal_app.callback()
@friendly
def portal(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
) -> None:
    """建立账户（如缺）并启动网上报送平台（http://127.0.0.1:8000）。

    示例：ipwh portal
    """
    if ctx.invoked_subcommand is not None:
        return
    _django()
    _setup()
    _serve(host, port)


@portal_app.command("setup")
@friendly
def setup() -> None:
    """只建立数据库和账户（按目录中的填报单位），不启动服务。

    示例：ipwh portal setup
    """
    _django()
    _setup()


@portal_app.command("merge")
@friendly
def merge() -> None:
    """把网上报送队列中等待入库的文件记入仓库（平台运行时每 10 秒自动进行）。

    示例：ipwh portal merge
    """
    from core.settings import Settings
    from sources.intake.queue import merge as merge_queue
    from sources.intake.queue import pending

    settings = Settings.from_env()
    waiting = len(pending(settings))
    outcomes = merge_queue(settings)
    if outcomes is None:
        out.print(f"仓库正被占用（可能有构建在运行），{waiting} 份报送继续排队，稍后再试。")
        raise typer.Exit(1)
    out.print(f"已入库 {len(outcomes)} 份网上报送。")


def _serve(host: str, port: int) -> None:
    from django.conf import settings
    from waitress import serve

    from portal.config.wsgi import application
    from portal.submissions.services import merge_now

    stop = threading.Event()

    def merge_loop() -> None:
        while not stop.wait(MERGE_EVERY_SECONDS):
            merge_now()

    threading.Thread(target=merge_loop, name="queue-merge", daemon=True).start()
    out.print(f"网上报送平台：http://{host}:{port}/　（Ctrl+C 停止）")
    try:
        serve(
            application,
            host=host,
            port=port,
            threads=8,
            max_request_body_size=settings.PORTAL_MAX_UPLOAD_BYTES + 1024 * 1024,
            ident="ipwh-portal",
        )
    finally:
        stop.set()
