"""Shared console output and error handling for every `ipwh` command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

import typer
from rich.console import Console

from core.settings import ConfigError
from core.warehouse import WarehouseUnavailable
from sources.catalogue import CatalogueError
from sources.periods import PeriodError

# Piped or captured output gets a wide page so tables are not cut at 80 columns, and messages are
# never wrapped mid-word (a command name split across lines cannot be copied).
out = Console(width=None if sys.stdout.isatty() else 160, highlight=False, soft_wrap=not sys.stdout.isatty())
err = Console(
    stderr=True, width=None if sys.stderr.isatty() else 160, highlight=False, soft_wrap=not sys.stderr.isatty()
)
F = TypeVar("F", bound=Callable[..., object])


class UsageError(Exception):
    """A command-line argument that cannot be used; the message says what is expected."""


def friendly(func: F) -> F:
    """Turn the errors users can cause into one clear line and a non-zero exit, never a traceback."""

    @wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            err.print(f"[red]配置错误：[/red]{exc}", markup=True)
            raise typer.Exit(2) from None
        except (PeriodError, UsageError) as exc:
            err.print(f"[red]参数错误：[/red]{exc}", markup=True)
            raise typer.Exit(2) from None
        except (WarehouseUnavailable, CatalogueError) as exc:
            err.print(f"[red]错误：[/red]{exc}", markup=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
