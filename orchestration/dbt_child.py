"""dbt as a child that dies with its parent.

dagster-dbt starts `dbt build` with subprocess.Popen and offers no hook into it, so the resource is
given a tiny launcher instead of dbt itself: it asks Linux to SIGKILL it when the process that
started it dies (prctl PR_SET_PDEATHSIG, kept across exec), checks the parent did not die before
that, and execs the real dbt. A killed `ipwh run` (or Dagster step) thus never leaves a dbt holding
the warehouse. Elsewhere than Linux the launcher only execs dbt.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PARENT_ENV = "IPWH_DBT_PARENT"  # the pid the launcher must still be the child of

_LAUNCHER = """#!{python}
# Written by orchestration/dbt_child.py: run dbt so that it dies with the process that started it.
import ctypes, os, signal, sys
if sys.platform.startswith("linux"):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    expected = os.environ.get("{env}")
    if expected and os.getppid() != int(expected):
        sys.exit(1)  # the parent died before the request took effect
os.execv({dbt!r}, [{dbt!r}, *sys.argv[1:]])
"""


def mark_parent() -> None:
    """Call right before starting dbt: the launcher checks it is still this process's child."""
    os.environ[PARENT_ENV] = str(os.getpid())


def launcher(folder: Path, dbt: str) -> str:
    """The launcher's path, written into `folder` when missing or different."""
    text = _LAUNCHER.format(python=sys.executable, env=PARENT_ENV, dbt=dbt)
    path = folder / "dbt-child"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f".dbt-child.{os.getpid()}.tmp"
        temp.write_text(text, encoding="utf-8")
        temp.chmod(0o755)
        os.replace(temp, path)
    return str(path)
