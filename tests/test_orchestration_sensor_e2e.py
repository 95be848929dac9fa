"""End to end on the sample scenario, in-process: a form dropped into the inbox goes through the
inbox sensor's run to its receipt, refreshed marts and a new analysts' snapshot.

On its own copy of the built sample (tests/sample_cache.py), apart from test_orchestration_e2e.py, so
that `--dist loadfile` runs the two long files on two workers at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance, RunRequest, build_sensor_context

from core.settings import Settings
from orchestration.names import INTAKE_JOB
from orchestration.runner import prepare
from tests import orchestration_support as support
from tests.form_files import CREATION_VALUES, blank_form, fill

pytestmark = pytest.mark.slow
dbt_target = support.dbt_target


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory, dbt_target: Path) -> Iterator[Settings]:
    with support.sample_home(tmp_path_factory, dbt_target) as settings:
        prepare(settings)  # what `ipwh run` and `ipwh ui` do first: folders, instance, manifest, raw tables
        yield settings


def test_a_dropped_form_gets_its_receipt_and_refreshed_marts(
    sample: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orchestration.intake_assets as intake_assets
    from orchestration.definitions import build_definitions
    from orchestration.sensors import inbox_sensor
    from sources.catalogue import load

    settings = sample
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
