"""`ipwh ui`'s server: dagster-webserver loads the one Definitions and answers GraphQL.

Starts the webserver on a free port with a private IPWH_HOME and DAGSTER_HOME, asks for the
assets, checks, schedules and sensors, and stops the process it started by its PID.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.settings import REPO_ROOT, Settings
from orchestration.ops_commands import ui_command
from tests import orchestration_support as support

pytestmark = pytest.mark.slow
dbt_target = support.dbt_target

QUERY = """
{
  assetNodes { assetKey { path } groupName
    assetChecksOrError { ... on AssetChecks { checks { name } } } }
  repositoriesOrError { ... on RepositoryConnection { nodes {
    jobs { name }
    schedules { name cronSchedule executionTimezone scheduleState { status } }
    sensors { name sensorState { status } }
  } } }
}
"""


def _post(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _wait_ready(port: int, process: subprocess.Popen, timeout: float = 240.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise AssertionError(f"dagster-webserver exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError("dagster-webserver did not answer in time")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group we started (start_new_session=True)
        process.wait(timeout=10)


def test_ui_command_is_local_and_uses_the_definitions_module(tmp_path: Path) -> None:
    command = ui_command(Settings(home=tmp_path, warehouse=tmp_path / "w.duckdb"), 3123)
    assert command[1] == "dev" and "orchestration.definitions" in command
    assert command[command.index("-h") + 1] == "127.0.0.1" and command[command.index("-p") + 1] == "3123"


def test_webserver_lists_assets_checks_schedules_and_sensors(tmp_path: Path, dbt_target: Path) -> None:
    home = tmp_path / "var"
    env = {
        **os.environ,
        "IPWH_HOME": str(home),
        "IPWH_DBT_TARGET": str(dbt_target),
        "DAGSTER_HOME": str(home / "dagster"),
    }
    env.pop("IPWH_WAREHOUSE", None)
    Settings.from_env(env).ensure_dirs()
    port = support.free_port()
    webserver = str(Path(sys.executable).parent / "dagster-webserver")
    process = subprocess.Popen(
        [webserver, "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        seconds = _wait_ready(port, process)
        print(f"dagster-webserver ready in {seconds:.1f} s")
        data = _post(port, QUERY)["data"]
    finally:
        _stop(process)
    assert process.poll() is not None
    assets = {"/".join(node["assetKey"]["path"]): node for node in data["assetNodes"]}
    assert {"raw/submissions", "staging/stg_raw__submissions", "marts/fct_submission_completeness"} <= set(assets)
    assert assets["marts/dim_plan_targets"]["groupName"] == "marts"
    checks = {c["name"] for node in data["assetNodes"] for c in (node["assetChecksOrError"].get("checks") or [])}
    assert any(name.startswith("unique_plan_targets_target_code") for name in checks)
    (repository,) = data["repositoriesOrError"]["nodes"]
    jobs = {j["name"] for j in repository["jobs"]}
    assert {"build_warehouse", "refresh_from_inbox", "remind_departments"} <= jobs
    schedules = {s["name"]: s for s in repository["schedules"]}
    assert schedules["monthly_build"]["executionTimezone"] == "Asia/Shanghai"
    assert schedules["daily_reminder"]["cronSchedule"] == "0 8 * * *"
    assert all(s["scheduleState"]["status"] == "RUNNING" for s in schedules.values())
    for period_type in ("month", "quarter", "year"):
        if f"returns_{period_type}" in jobs:
            assert f"returns_{period_type}_schedule" in schedules
    sensors = {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
    assert sensors == {"inbox_sensor": "RUNNING", "record_run_failures": "RUNNING"}
