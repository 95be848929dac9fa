"""End to end on the sample scenario, in-process: `ipwh run`'s jobs, then a form dropped into the inbox
goes through the sensor's run to its receipt, refreshed marts and a new analysts' snapshot."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance, RunRequest, build_sensor_context

from orchestration.names import INTAKE_JOB
from orchestration.partitions import latest_ended_partition
from orchestration.runner import EXIT_OK, EXIT_REFUSED, Outcome, run_all
from orchestration.settings import Settings
from tests import orchestration_support as support
from tests.form_files import CREATION_VALUES, blank_form, fill
from tests.sample_cache import built_sample, copy_sample

pytestmark = pytest.mark.slow
dbt_target = support.dbt_target
ENV = ("IPWH_HOME", "IPWH_WAREHOUSE", "DAGSTER_HOME", "IPWH_TODAY", "IPWH_DBT_TARGET")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory, dbt_target: Path) -> Iterator[tuple[Settings, Outcome, list[str]]]:
    home = tmp_path_factory.mktemp("sample") / "var"
    saved = {k: os.environ.get(k) for k in ENV}
    os.environ.update(IPWH_HOME=str(home), IPWH_TODAY="2026-11-21", IPWH_DBT_TARGET=str(dbt_target))
    os.environ.pop("IPWH_WAREHOUSE", None)
    try:
        copy_sample(built_sample(tmp_path_factory), home)
        settings = Settings.from_env()
        lines: list[str] = []
        outcome = run_all(settings, echo=lines.append)
        yield settings, outcome, lines
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_run_builds_the_sample_and_the_latest_period_of_each_return(
    sample: tuple[Settings, Outcome, list[str]],
) -> None:
    settings, outcome, lines = sample
    errors = [outcome.build.errors, *[r.errors for r in outcome.returns]]
    assert outcome.exit_code in (EXIT_OK, EXIT_REFUSED), errors
    assert outcome.build.success or outcome.build.refused
    assert {"raw/submissions", "marts/fct_submission_completeness"} <= set(outcome.build.materialized)
    for summary in outcome.returns:  # one partition of each period type, the latest that has ended
        period_type = summary.job.removeprefix("returns_")
        assert summary.partition == latest_ended_partition(period_type, settings.today)
    text = "\n".join(lines)
    assert "接收收件箱" in text and "dbt 构建" in text and "分析快照已发布" in text
    assert "START sql" not in text and "OK created" not in text  # dbt's own log stays in var/logs
    assert settings.snapshot_db.exists()
    assert list(settings.logs.glob("build_warehouse-*.log"))
    # The snapshot is published again after the checks, and the monitoring site carries this run's gate.
    assert "监测网站已更新" in text
    index = (settings.home / "site" / "index.html").read_text(encoding="utf-8")
    assert "最近一次质量检查" in index and "质量检查结果：质量关卡状态未知" not in index


def test_a_dropped_form_gets_its_receipt_and_refreshed_marts(
    sample: tuple[Settings, Outcome, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orchestration.intake_assets as intake_assets
    from orchestration.definitions import build_definitions
    from orchestration.sensors import inbox_sensor
    from sources.catalogue import load

    settings = sample[0]
    monkeypatch.setattr(intake_assets, "SETTLE_SECONDS", 0.0)
    values = {**CREATION_VALUES, "patent_applications": 1300, "patent_applications_invention": 600}
    dropped = fill(blank_form(load(), tmp_path), settings.inbox / "350102.amr" / "鼓楼区_2026-10_更正.xlsx", values)
    started = time.monotonic()
    with DagsterInstance.get() as instance:
        requests = [r for r in inbox_sensor(build_sensor_context(instance=instance)) if isinstance(r, RunRequest)]
        assert len(requests) == 1
        job = build_definitions(settings).resolve_job_def(INTAKE_JOB)
        result = job.execute_in_process(
            run_config=requests[0].run_config, instance=instance, tags=requests[0].tags, raise_on_error=False
        )
    print(f"sensor request to refreshed snapshot: {time.monotonic() - started:.1f} s")
    failed = {e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE}
    assert failed <= {"quality_rules"}, failed  # only the sample's planted defects, which still stand here
    assert result.is_node_success("intake_inbox") and result.is_node_success("warehouse_dbt")
    assert not dropped.exists()  # left the inbox once recorded
    receipts = [p.read_text(encoding="utf-8") for p in (settings.receipts / "350102.amr").glob("*.txt")]
    assert any("鼓楼区_2026-10_更正.xlsx" in text for text in receipts)
    with duckdb.connect(str(settings.snapshot_db), read_only=True) as con:
        assert con.execute("select run_id from meta.snapshot").fetchone() == (result.run_id,)
        version = con.execute(
            "select latest_version from marts.fct_submission_completeness "
            "where form_code = 'ip_creation_monthly' and department_code = '350102.amr' and period_code = '2026-10'"
        ).fetchone()
    assert version is not None and version[0] >= 2
