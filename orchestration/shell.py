"""`ipwh shell`: an interactive read-only SQL prompt on the analysts' snapshot.

The `duckdb` command line a reader might reach for is not installed with the product, and the one
on the package registry (1.5.x) cannot open files written by DuckDB 2.0. This prompt runs on the
same DuckDB as the warehouse, opens only the snapshot (read-only), and prints results like
`ipwh query`. Statements end with `;` and may span lines; `.tables`, `.help` and `.quit` are the
only dot-commands. Piped input works too: `echo "select 1;" | ipwh shell`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TextIO

from rich.console import Console

from core.settings import Settings

MAX_ROWS = 200
PROMPT = "ipwh> "
CONTINUATION = "  ..> "
HELP = (
    "以分号 ; 结束一条查询（可跨行）。只读：只能查询分析快照（marts.*、catalogue.*、meta.snapshot）。\n"
    ".tables 列出表　.help 本说明　.quit 退出（或 Ctrl+D）"
)
TABLES_SQL = (
    "select table_schema || '.' || table_name as 表 from information_schema.tables order by table_schema, table_name"
)


def _reader(stream: TextIO, interactive: bool) -> Callable[[str], str | None]:
    """One input line per call (None at the end); a terminal gets prompts, line editing and history."""
    if not interactive:
        return lambda _prompt: line.rstrip("\n") if (line := stream.readline()) else None
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())

    def read(prompt: str) -> str | None:
        try:
            return input(prompt)
        except EOFError:
            return None

    return read


def statements(stream: TextIO, interactive: bool = False) -> Iterator[str]:
    """Dot-commands and `;`-terminated SQL statements read from `stream` (a last one may lack the `;`)."""
    read = _reader(stream, interactive)
    buffer: list[str] = []
    while (line := read(CONTINUATION if buffer else PROMPT)) is not None:
        stripped = line.strip()
        if not buffer and stripped.startswith((".", "\\q")):
            yield stripped
        elif stripped:
            buffer.append(line)
            if stripped.endswith(";"):
                yield "\n".join(buffer).strip().rstrip(";").strip()
                buffer = []
    if buffer:
        yield "\n".join(buffer).strip()


def run_shell(settings: Settings, stream: TextIO, console: Console) -> int:
    """Read statements until .quit or end of input; returns how many statements failed."""
    import duckdb

    from core.snapshot import open_snapshot
    from orchestration.query_output import print_result

    interactive = stream.isatty()
    con = open_snapshot(settings)
    failed = 0
    try:
        if interactive:
            console.print(f"分析快照（只读）：{settings.snapshot_db}\n{HELP}", markup=False)
        for statement in statements(stream, interactive):
            command = statement.lower()
            if command in (".quit", ".exit", "\\q"):
                break
            if command == ".help":
                console.print(HELP, markup=False)
                continue
            sql = TABLES_SQL if command == ".tables" else statement
            if sql.startswith("."):
                console.print(f"不认识的命令 {statement}。{HELP}", markup=False)
                failed += 1
                continue
            try:
                cursor = con.execute(sql)
                if cursor.description is None:
                    console.print("（语句没有返回结果）")
                    continue
                columns = [d[0] for d in cursor.description]
                rows = cursor.fetchmany(MAX_ROWS + 1)
            except duckdb.Error as exc:
                failed += 1
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                console.print(f"SQL 无法执行（快照为只读，仅支持查询）：{detail}", markup=False)
                continue
            print_result(console, columns, rows[:MAX_ROWS])
            more = f'（仅显示前 {MAX_ROWS} 行；全部行：ipwh query --csv "…"）' if len(rows) > MAX_ROWS else ""
            console.print(f"{min(len(rows), MAX_ROWS)} 行{more}", markup=False)
    finally:
        con.close()
    return failed
