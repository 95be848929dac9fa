"""Crash points for the fault harness (tests/faults/): `IPWH_FAULT=<point>[:<n>]` kills this process
with SIGKILL the n-th time (default: the first) it reaches `<point>`.

Only the harness sets the variable; unset, a fault point costs one dictionary look-up. Points:
intake_before_commit, intake_after_commit, intake_mid_receipts, intake_after_inbox_cleanup,
snapshot_mid_publish, returns_mid_write.
"""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def fault_point(name: str) -> None:
    wanted = os.environ.get("IPWH_FAULT")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
