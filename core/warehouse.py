"""Read access to the DuckDB warehouse, with messages a person can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


class WarehouseUnavailable(Exception):
    """The warehouse cannot be read now; the message says why and what to do."""


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection the caller closes; any reason it cannot be had, in words."""
    if not path.exists():
        raise WarehouseUnavailable(f"仓库文件 {path} 尚不存在：请先运行 `make run`（或 `ipwh run`）建立仓库。")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseUnavailable(f"仓库 {path} 正在被其他进程写入（可能有构建在运行），请稍后再试。") from exc
        raise WarehouseUnavailable(f"无法打开仓库 {path}：{exc}") from exc
    except duckdb.Error as exc:
        raise WarehouseUnavailable(f"仓库文件 {path} 无法读取（可能已损坏或不是 DuckDB 文件）：{exc}") from exc


@contextmanager
def read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect_read_only(path)
    try:
        yield con
    finally:
        con.close()


def query(path: Path, sql: str, params: list[object] | None = None) -> tuple[list[str], list[tuple]]:
    with read_only(path) as con:
        try:
            cur = con.execute(sql, params or [])
        except duckdb.CatalogException as exc:
            raise WarehouseUnavailable(f"仓库中缺少所需的表（仓库可能未完整构建，请运行 `ipwh run`）：{exc}") from exc
        columns = [d[0] for d in cur.description]
        return columns, cur.fetchall()


# How long a writer waits for another process's lock: WRITER_ATTEMPTS tries, WRITER_WAIT_SECONDS apart.
WRITER_ATTEMPTS = 10
WRITER_WAIT_SECONDS = 3.0


def is_lock_error(exc: BaseException | str) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text or "lock on file" in text)


def wait_for_writer(path: Path, attempts: int | None = None, wait_seconds: float | None = None) -> None:
    """Return once no other process holds the warehouse (e.g. before dbt opens it); else WarehouseUnavailable."""
    if not path.exists():
        return
    with writer(path, attempts, wait_seconds):
        pass


@contextmanager
def writer(
    path: Path, attempts: int | None = None, wait_seconds: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The one writing connection; a lock held by another process is retried, then reported clearly."""
    import sys
    import time

    attempts = attempts or WRITER_ATTEMPTS
    wait_seconds = WRITER_WAIT_SECONDS if wait_seconds is None else wait_seconds
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseUnavailable(f"无法打开仓库 {path}：{exc}") from exc
            if attempt == attempts:
                raise WarehouseUnavailable(
                    f"仓库 {path} 正被其他进程占用（可能有构建、接收或直接打开仓库的查询在运行），"
                    f"已等待约 {attempts * wait_seconds:.0f} 秒仍未释放，请稍后再试。"
                    f"分析查询请使用只读快照（ipwh query），不要直接打开仓库文件。"
                ) from exc
            sys.stderr.write(f"仓库正被其他进程占用，{wait_seconds:g} 秒后重试（第 {attempt}/{attempts - 1} 次）…\n")
            sys.stderr.flush()
            time.sleep(wait_seconds)
        except duckdb.Error as exc:
            raise WarehouseUnavailable(f"仓库文件 {path} 无法写入（可能已损坏或不是 DuckDB 文件）：{exc}") from exc
    try:
        yield con
    finally:
        con.close()
