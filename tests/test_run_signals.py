"""`ipwh run` and its dbt child under signals: dbt dies with the process that started it, and SIGTERM
or Ctrl-C stops a run with a message and exit status 130, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_dbt_started_through_the_launcher_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    # The parent stands in for `ipwh run`: it starts "dbt" (here `sleep`) through the launcher, as
    # dagster-dbt does with Popen, prints the child's pid and waits; then it is SIGKILLed.
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import subprocess, sys, time
                from pathlib import Path
                from orchestration.dbt_child import launcher, mark_parent
                mark_parent()
                child = subprocess.Popen([launcher(Path({str(tmp_path)!r}), "/bin/sleep"), "120"])
                print(child.pid, flush=True)
                time.sleep(120)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 10
    while not Path(f"/proc/{child}/cmdline").read_bytes().startswith(b"/bin/sleep") and time.monotonic() < deadline:
        time.sleep(0.05)  # the launcher has exec'd the real program
    assert _alive(child)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = _alive(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive, "dbt outlived the process that started it"


def test_sigterm_inside_a_run_becomes_a_keyboard_interrupt() -> None:
    from orchestration.runner import stop_on_signals

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), stop_on_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    assert signal.getsignal(signal.SIGTERM) == before  # restored once the run is over


def test_ipwh_run_stopped_by_a_signal_says_so_and_exits_130(ipwh_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import orchestration.runner as runner

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_all", interrupted)
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 130, result.output
    assert "运行已停止" in result.output and "Traceback" not in result.output
