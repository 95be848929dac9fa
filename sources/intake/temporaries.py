"""Temporary files of intake (`.receipt-<pid>-…`, `.incoming-<pid>-…`): named after the process that
writes them, so a later intake can remove those a crashed process left behind without touching the
ones a live process is still writing."""

from __future__ import annotations

import os
import re
from pathlib import Path

RECEIPT = ".receipt-"
INCOMING = ".incoming-"
_OWNER = re.compile(r"^\.(?:receipt|incoming)-(\d+)-")


def prefix(kind: str) -> str:
    """`kind` + this process's id + '-': the prefix for tempfile.mkstemp."""
    return f"{kind}{os.getpid()}-"


def sweep(root: Path, kind: str) -> int:
    """Remove `kind` temporaries under `root` (one folder level deep) whose writer is gone; returns how many."""
    if not root.is_dir():
        return 0
    removed = 0
    for path in [*root.glob(f"{kind}*"), *root.glob(f"*/{kind}*"), *root.glob(f"*/*/{kind}*")]:
        if _owner_alive(path.name):
            continue
        try:
            path.unlink()
            removed += 1
        except OSError:
            continue
    return removed


def _owner_alive(name: str) -> bool:
    match = _OWNER.match(name)
    if not match:
        return False  # written before temporaries carried their owner: no live writer to wait for
    pid = int(match.group(1))
    if pid == os.getpid():
        return False  # our own leftovers (a previous batch in this process that raised)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
