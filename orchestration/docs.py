"""dbt docs for analysts: every mart and column described in Chinese and English, as one HTML file.

`build_docs` runs `dbt docs generate --static` against the warehouse (the catalogue of tables and
columns comes from it) and leaves `static_index.html` under `<IPWH_HOME>/docs/`; the file opens in
a browser without a server.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from core.settings import DBT_PROJECT_DIR, Settings


class DocsError(Exception):
    """dbt could not generate the docs; the message says why (Chinese, for the person running it)."""


def build_docs(settings: Settings) -> Path:
    """Generate the static dbt docs under `settings.home / "docs"` and return the index file's path."""
    from orchestration.dbt import dbt_executable  # imports dagster-dbt: only when docs are asked for

    if not settings.warehouse.exists():
        raise DocsError(f"仓库文件 {settings.warehouse} 尚不存在：请先运行 `make run`（或 `ipwh run`）建立仓库。")
    settings.ensure_dirs()
    settings.export()
    out = settings.home / "docs"
    out.mkdir(parents=True, exist_ok=True)
    command = [
        dbt_executable(),
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(out),
        "--log-path",
        str(out / "logs"),
    ]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900)
    index = out / "static_index.html"
    if result.returncode != 0 or not index.exists():
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise DocsError(f"生成 dbt 文档失败（退出码 {result.returncode}）：\n{tail}")
    return index
