"""The one Definitions: load and validate; jobs per period type; sensor, schedules, failures, locks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import (
    AssetCheckResult,
    AssetKey,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    Definitions,
    RunRequest,
    SkipReason,
    asset,
    asset_check,
    build_run_status_sensor_context,
    build_schedule_context,
    build_sensor_context,
    job,
    op,
)
from typer.testing import CliRunner

from core.settings import Settings, write_instance_yaml
from core.warehouse import WarehouseUnavailable, writer
from orchestration.definitions import build_definitions, partitioned_keys
from orchestration.names import INTAKE_JOB, MAIN_JOB, REMIND_JOB
from orchestration.partitions import ANNUAL, MONTHLY, QUARTERLY, latest_ended_partition
from tests import orchestration_support as support

dbt_target = support.dbt_target
orch_home = support.orch_home

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _fake_period_assets(period_type: str, partitions_def) -> list:
    @asset(key=AssetKey(["gate", period_type]), group_name="gate", partitions_def=partitions_def)
    def gate() -> None:
        return None

    @asset_check(asset=AssetKey(["gate", period_type]), blocking=True, name="gate_passes")
    def gate_passes() -> AssetCheckResult:
        return AssetCheckResult(passed=True)

    @asset(
        key=AssetKey(["returns", period_type]),
        group_name="returns",
        partitions_def=partitions_def,
        deps=[AssetKey(["gate", period_type])],
    )
    def returns() -> None:
        return None

    return [gate, returns, gate_passes]


def _defs(settings: Settings, gates: list | None = None, returns: list | None = None) -> Definitions:
    return build_definitions(settings, checks=[], gates=gates or [], returns=returns or [])


def test_definitions_load_and_validate(orch_home: Settings) -> None:
    defs = build_definitions(orch_home)  # the quality and returns modules' own assets and checks
    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw/submissions", "staging/stg_raw__submissions", "marts/fct_submission_completeness"} <= keys
    assert {"catalogue/regions", "marts/dim_plan_targets", "snapshot/analyst_snapshot"} <= keys
    # inbox → raw → staging: the dbt source is the intake asset.
    staging = graph.get(AssetKey(["staging", "stg_raw__submissions"]))
    assert AssetKey(["raw", "submissions"]) in staging.parent_keys
    assert graph.get(AssetKey(["raw", "submissions"])).is_executable
    assert graph.get(AssetKey(["marts", "dim_plan_targets"])).group_name == "marts"
    site = graph.get(AssetKey(["snapshot", "monitoring_site"]))  # the site follows the snapshot
    assert site.parent_keys == {AssetKey(["snapshot", "analyst_snapshot"])}
    assert any(c.name.startswith("unique_plan_targets_target_code") for c in graph.asset_check_keys)
    jobs = {j.name for j in defs.resolve_all_job_defs()}
    assert {MAIN_JOB, INTAKE_JOB, REMIND_JOB} <= jobs
    assert {s.name for s in defs.schedules} >= {"monthly_build", "daily_reminder"}
    assert {s.name for s in defs.sensors} == {"inbox_sensor", "record_run_failures"}
    assert defs.resolve_job_def(MAIN_JOB).executor_def.name == "in_process"


def test_the_inbox_is_a_node_upstream_of_intake_and_layers_draw_one_way(orch_home: Settings) -> None:
    graph = build_definitions(orch_home).resolve_asset_graph()
    inbox = graph.get(AssetKey(["inbox", "forms"]))
    assert not inbox.is_executable  # departments fill it, not Dagster
    for table in ("submissions", "submission_values", "submission_problems", "submission_events"):
        assert AssetKey(["inbox", "forms"]) in graph.get(AssetKey(["raw", table])).parent_keys
    order = {"staging": 0, "intermediate": 1, "marts": 2}
    upward = [
        f"{key.to_user_string()} <- {parent.to_user_string()}"
        for key in graph.get_all_asset_keys()
        if key.path[0] in order
        for parent in graph.get(key).parent_keys
        if parent.path[0] in order and order[parent.path[0]] > order[key.path[0]]
    ]
    assert not upward, upward


def test_build_job_is_unpartitioned_and_inbox_job_is_downstream_of_raw(orch_home: Settings) -> None:
    defs = _defs(orch_home, gates=_fake_period_assets("month", MONTHLY))
    build = defs.resolve_job_def(MAIN_JOB)
    build_keys = build.asset_layer.selected_asset_keys
    assert AssetKey(["raw", "submissions"]) in build_keys
    assert AssetKey(["catalogue", "regions"]) in build_keys
    assert AssetKey(["gate", "month"]) not in build_keys
    assert build.partitions_def is None
    inbox_keys = defs.resolve_job_def(INTAKE_JOB).asset_layer.selected_asset_keys
    assert AssetKey(["marts", "fct_submission_completeness"]) in inbox_keys
    assert AssetKey(["catalogue", "regions"]) not in inbox_keys  # seeds do not change when a file arrives
    assert AssetKey(["gate", "month"]) not in inbox_keys


def test_returns_jobs_exist_only_for_period_types_with_assets(orch_home: Settings) -> None:
    none = _defs(orch_home)
    names = {j.name for j in none.resolve_all_job_defs()}
    assert not names & {"returns_month", "returns_quarter", "returns_year"}
    Definitions.validate_loadable(none)

    month = _fake_period_assets("month", MONTHLY)
    quarter = _fake_period_assets("quarter", QUARTERLY)
    defs = _defs(orch_home, gates=[month[0], month[2], quarter[0], quarter[2]], returns=[month[1], quarter[1]])
    Definitions.validate_loadable(defs)
    names = {j.name for j in defs.resolve_all_job_defs()}
    assert {"returns_month", "returns_quarter"} <= names and "returns_year" not in names
    returns_month = defs.resolve_job_def("returns_month")
    assert returns_month.partitions_def == MONTHLY
    assert returns_month.asset_layer.selected_asset_keys == {
        AssetKey(["gate", "month"]),
        AssetKey(["returns", "month"]),
    }
    assert {s.name for s in defs.schedules} >= {"returns_month_schedule", "returns_quarter_schedule"}
    assert partitioned_keys(month, "quarter") == []


def test_one_partition_of_the_returns_job_runs_alone(orch_home: Settings) -> None:
    month = _fake_period_assets("month", MONTHLY)
    defs = _defs(orch_home, gates=[month[0], month[2]], returns=[month[1]])
    result = defs.resolve_job_def("returns_month").execute_in_process(
        instance=DagsterInstance.ephemeral(), partition_key="2026-10"
    )
    assert result.success
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialised == {"gate/month", "returns/month"}
    assert result.dagster_run.tags["dagster/partition"] == "2026-10"


# ---------------------------------------------------------------- sensor


def _drop(settings: Settings, name: str = "榕知统1表_2026-10.xlsx", data: bytes = b"form bytes", age: float = 60.0):
    folder = settings.inbox / "350102.amr"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def _evaluate(instance: DagsterInstance | None = None) -> list:
    from orchestration.sensors import inbox_sensor

    context = build_sensor_context(instance=instance) if instance else build_sensor_context()
    return list(inbox_sensor(context) or [])


def test_sensor_takes_files_dropped_together_in_one_run(orch_home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import orchestration.intake_assets as intake_assets

    monkeypatch.setattr(intake_assets, "SETTLE_SECONDS", 0.0)  # ctime is now; the files are complete
    paths = [_drop(orch_home, f"榕知统1表_2026-{m:02d}.xlsx", f"form {m}".encode()) for m in range(1, 13)]
    requests = [r for r in _evaluate() if isinstance(r, RunRequest)]
    assert len(requests) == 1, "one run per settled drop, not one per file"
    request = requests[0]
    assert request.job_name in (None, INTAKE_JOB)
    assert sorted(request.run_config["ops"]["intake_inbox"]["config"]["files"]) == sorted(str(p) for p in paths)
    assert request.tags["ipwh/files"] == "12"
    assert [r.run_key for r in _evaluate() if isinstance(r, RunRequest)] == [request.run_key]  # stable key


def test_sensor_waits_while_any_file_of_a_drop_is_still_arriving(orch_home: Settings) -> None:
    _drop(orch_home, "榕知统1表_2026-09.xlsx", b"settled", age=60.0)
    _drop(orch_home, "榕知统1表_2026-10.xlsx", b"being copied", age=0.0)
    results = _evaluate()
    assert not [r for r in results if isinstance(r, RunRequest)]
    assert any("仍在写入" in (r.skip_message or "") for r in results if isinstance(r, SkipReason))


def test_sensor_does_not_request_while_an_intake_run_is_queued_or_running(
    orch_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orchestration.intake_assets as intake_assets

    monkeypatch.setattr(intake_assets, "SETTLE_SECONDS", 0.0)
    path = _drop(orch_home)
    with DagsterInstance.ephemeral() as instance:
        first = [r for r in _evaluate(instance) if isinstance(r, RunRequest)]
        assert len(first) == 1
        observed = instance.fetch_observations(AssetKey(["inbox", "forms"]), limit=1).records
        assert [r.asset_observation.metadata["文件数"].value for r in observed] == [1]
        instance.add_run(DagsterRun(job_name=INTAKE_JOB, run_id="a" * 36, status=DagsterRunStatus.STARTED))
        assert not [r for r in _evaluate(instance) if isinstance(r, RunRequest)]
    # The run finished and the same bytes were dropped again afterwards: a new drop, a new key,
    # so intake can answer "already received" on a receipt.
    with DagsterInstance.ephemeral() as instance:
        instance.add_run(DagsterRun(job_name=INTAKE_JOB, run_id="b" * 36, status=DagsterRunStatus.SUCCESS))
        time.sleep(1.1)
        path.write_bytes(path.read_bytes())
        again = [r for r in _evaluate(instance) if isinstance(r, RunRequest)]
        assert len(again) == 1 and again[0].run_key != first[0].run_key


def test_sensor_waits_for_a_file_still_being_written(orch_home: Settings) -> None:
    _drop(orch_home, age=0.0)  # just written: a copy may be in progress
    results = _evaluate()
    assert not [r for r in results if isinstance(r, RunRequest)]


def test_sensor_ignores_office_lock_files(orch_home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import orchestration.intake_assets as intake_assets

    monkeypatch.setattr(intake_assets, "SETTLE_SECONDS", 0.0)
    _drop(orch_home, name="~$榕知统1表_2026-10.xlsx")
    assert not [r for r in _evaluate() if isinstance(r, RunRequest)]


# ---------------------------------------------------------------- schedules


def _next_fire(cron: str, after: datetime) -> datetime:
    from dagster._utils.schedules import cron_string_iterator

    return next(cron_string_iterator(after.timestamp(), cron, "Asia/Shanghai"))


def test_monthly_build_runs_the_day_after_the_latest_monthly_due_day(orch_home: Settings) -> None:
    from orchestration.schedules import after_due, max_due_days
    from sources.catalogue import load

    defs = _defs(orch_home)
    schedule = defs.resolve_schedule_def("monthly_build")
    assert schedule.execution_timezone == "Asia/Shanghai"
    due = max(int(f["due_days"]) for f in load().rows("forms") if f["period_type"] == "month")
    assert max_due_days("month") == due
    assert schedule.cron_schedule == f"0 6 {due + 1} * *"
    fire = _next_fire(schedule.cron_schedule, datetime(2026, 11, 1, tzinfo=SHANGHAI))
    assert fire.astimezone(SHANGHAI).replace(tzinfo=None) == datetime(2026, 11, due + 1, 6, 0)
    assert fire.utcoffset().total_seconds() == 8 * 3600
    assert after_due("month", 10).cron(6) == "0 6 11 * *"


def test_quarterly_and_annual_timing_is_after_every_due_day() -> None:
    from orchestration.schedules import after_due

    assert after_due("quarter", 15).cron(7) == "0 7 16 1,4,7,10 *"
    assert after_due("year", 45).cron(7) == "0 7 15 2 *"
    # 45 days after a quarter: 15 Feb, 16 May, 15 Aug, 15 Nov → the latest day, never early.
    assert after_due("quarter", 45).cron(7) == "0 7 16 2,5,8,11 *"


def test_returns_schedules_request_the_latest_ended_period(orch_home: Settings) -> None:
    from orchestration.schedules import max_due_days
    from sources.periods import Period

    month = _fake_period_assets("month", MONTHLY)
    quarter = _fake_period_assets("quarter", QUARTERLY)
    year = _fake_period_assets("year", ANNUAL)
    defs = _defs(orch_home, gates=[month[0], quarter[0], year[0]], returns=[month[1], quarter[1], year[1]])
    # The first run after each period ends: after the catalogue's latest due day, for the period just ended.
    cases = {
        "month": (Period.parse("2026-10"), "2026-10"),
        "quarter": (Period.parse("2026Q3"), "2026Q3"),
        "year": (Period.parse("2026"), "2026"),
    }
    repository = defs.get_repository_def()
    for period_type, (period, key) in cases.items():
        schedule = defs.resolve_schedule_def(f"returns_{period_type}_schedule")
        assert schedule.execution_timezone == "Asia/Shanghai"
        ended = datetime.combine(period.next().start, datetime.min.time(), SHANGHAI)
        when = _next_fire(schedule.cron_schedule, ended).astimezone(SHANGHAI)
        assert when.date() > period.due(max_due_days(period_type))
        assert when.date() <= period.due(max_due_days(period_type)) + timedelta(days=3)
        assert when.hour == 7
        with build_schedule_context(scheduled_execution_time=when, repository_def=repository) as context:
            data = schedule.evaluate_tick(context)
        assert [r.partition_key for r in data.run_requests] == [key]


def test_latest_ended_partition_matches_dagster() -> None:
    from dagster import partition_loading_context

    now = datetime(2026, 11, 21, 9, tzinfo=SHANGHAI)
    for period_type, partitions in (("month", MONTHLY), ("year", ANNUAL)):
        with partition_loading_context(effective_dt=now):
            assert latest_ended_partition(period_type, now.date()) == partitions.get_last_partition_key()
    # Quarters are named like the forms' periods (2026Q3, not the window's first month 2026-07) and
    # the list reaches past the quarter that just ended, so the schedule always finds it.
    assert latest_ended_partition("quarter", now.date()) == "2026Q3"
    keys = QUARTERLY.get_partition_keys()
    assert keys[0] == "2019Q1" and "2026Q3" in keys and "2027Q4" in keys
    assert not any("-" in key for key in keys)


def test_daily_reminder_schedule(orch_home: Settings) -> None:
    schedule = _defs(orch_home).resolve_schedule_def("daily_reminder")
    assert schedule.cron_schedule == "0 8 * * *" and schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.job_name == REMIND_JOB


# ---------------------------------------------------------------- failures


def test_run_failure_sensor_records_a_readable_reason(orch_home: Settings) -> None:
    from orchestration.failures import FAILURE_LOG, record_run_failures

    @op
    def open_warehouse() -> None:
        raise WarehouseUnavailable("仓库 /x/warehouse.duckdb 正被其他进程占用，已等待约 30 秒仍未释放，请稍后再试。")

    @job
    def build_warehouse() -> None:
        open_warehouse()

    with DagsterInstance.ephemeral() as instance:
        result = build_warehouse.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        context = build_run_status_sensor_context(
            sensor_name="record_run_failures",
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=result.get_run_failure_event(),
        ).for_run_failure()
        record_run_failures(context)
    text = (orch_home.alerts / FAILURE_LOG).read_text(encoding="utf-8")
    assert "作业 build_warehouse 运行失败" in text
    assert result.run_id in text
    assert "open_warehouse" in text
    assert "仓库被其他进程占用" in text and "Traceback" not in text


# ---------------------------------------------------------------- single writer


def test_instance_yaml_limits_runs_to_one_and_keeps_other_settings(tmp_path: Path) -> None:
    path = tmp_path / "dagster.yaml"
    path.write_text("run_queue:\n  max_concurrent_runs: 5\n  dequeue_interval_seconds: 2\nfoo_note: kept\n")
    write_instance_yaml(path)
    import yaml

    config = yaml.safe_load(path.read_text())
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1
    assert config["telemetry"]["enabled"] is False
    assert config["run_queue"] == {"dequeue_interval_seconds": 2}
    assert config["foo_note"] == "kept"
    path.unlink()
    (tmp_path / "home").mkdir()
    write_instance_yaml(tmp_path / "home" / "dagster.yaml")
    with DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


def _hold_lock(path: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(path)!r})
            print("locked", flush=True)
            sys.stdin.read()
            """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_writer_retries_a_locked_warehouse_then_says_why(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "warehouse.duckdb"
    holder = _hold_lock(path)
    try:
        with pytest.raises(WarehouseUnavailable, match="正被其他进程占用"), writer(path, attempts=3, wait_seconds=0.1):
            pass
    finally:
        holder.communicate("", timeout=30)
    assert capfd.readouterr().err.count("秒后重试") == 2
    with writer(path, attempts=1) as con:  # released: the next writer gets in at once
        assert con.execute("select 1").fetchone() == (1,)


def test_run_on_a_locked_warehouse_exits_1_with_a_message(orch_home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import core.warehouse
    import orchestration.dbt
    from orchestration.cli import app

    monkeypatch.setattr(core.warehouse, "WRITER_ATTEMPTS", 2)
    monkeypatch.setattr(core.warehouse, "WRITER_WAIT_SECONDS", 0.1)
    monkeypatch.setattr(orchestration.dbt, "prepare_manifest", lambda settings=None: None)
    holder = _hold_lock(orch_home.warehouse)
    try:
        result = CliRunner().invoke(app, ["run"])
    finally:
        holder.communicate("", timeout=30)
    assert result.exit_code == 1, result.output
    assert "正被其他进程占用" in result.output
    assert "Traceback" not in result.output


def test_failure_reasons_tell_a_failed_check_from_a_locked_warehouse() -> None:
    from orchestration.failures import explain

    # "blocking" contains "lock": a failed blocking check must not read as a locked file.
    check = explain("DagsterAssetCheckFailedError: 1 blocking asset check failed with ERROR severity: gate/month")
    assert check.startswith("阻断性质量检查未通过") and "ipwh check" in check
    locked = explain('IO Error: Could not set lock on file "var/warehouse.duckdb": Conflicting lock is held')
    assert locked.startswith("仓库被其他进程占用")
