"""What a fault trial runs in a child process (so SIGKILL hits a real process, not the test):

    python -m tests.faults.drive intake            # ingest everything in the inbox
    python -m tests.faults.drive returns 2026-10   # build one period's returns into the outbox
    python -m tests.faults.drive snapshot          # publish the analysts' snapshot

Settings come from the environment (IPWH_HOME, IPWH_TODAY); IPWH_FAULT picks the crash point.
"""

from __future__ import annotations

import sys

from core.settings import Settings


def main(argv: list[str]) -> int:
    settings = Settings.from_env()
    action = argv[0]
    if action == "intake":
        from sources.intake.pipeline import inbox_files, ingest

        ingest(inbox_files(settings), settings, actor="harness")
    elif action == "returns":
        from reports.build import build_in_warehouse
        from sources.periods import Period

        build_in_warehouse(settings.warehouse, settings.outbox, Period.parse(argv[1]))
    elif action == "snapshot":
        from core.snapshot import publish_snapshot

        publish_snapshot(settings)
    else:
        raise SystemExit(f"unknown action {action!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
