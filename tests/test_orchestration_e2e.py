"""End to end on the sample scenario, in-process: `ipwh run`'s jobs on a copy of the built sample.

The inbox sensor's run lives in test_orchestration_sensor_e2e.py, on its own copy, so that
`--dist loadfile` can give the two long files to two workers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from core.settings import Settings
from orchestration.partitions import latest_ended_partition
from orchestration.runner import EXIT_OK, EXIT_REFUSED, Outcome, run_all
from sources.catalogue import Catalogue
from tests import orchestration_support as support

pytestmark = pytest.mark.slow
dbt_target = support.dbt_target


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory, dbt_target: Path) -> Iterator[tuple[Settings, Outcome, list[str]]]:
    with support.sample_home(tmp_path_factory, dbt_target) as settings:
        lines: list[str] = []
        outcome = run_all(settings, echo=lines.append)
        yield settings, outcome, lines


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


def test_a_second_run_with_nothing_new_reuses_the_models_and_the_check_outcomes(
    sample: tuple[Settings, Outcome, list[str]],
) -> None:
    from core.warehouse import read_only
    from expectations.rules import load_rules

    settings, first, _ = sample
    index = settings.home / "site" / "index.html"
    site_built, published = index.stat().st_mtime_ns, settings.snapshot_db.stat().st_mtime_ns
    lines: list[str] = []
    again = run_all(settings, echo=lines.append)
    assert again.exit_code == first.exit_code, [again.build.errors, *[r.errors for r in again.returns]]
    assert "沿用已建的模型" in "\n".join(lines)
    rebuilt = [k for k in again.build.materialized if not k.startswith("raw/")]
    assert rebuilt == []  # no dbt: the marts already are what a rebuild would give
    assert {c.name.rsplit(":", 1)[1] for c in again.build.checks} == {r.code for r in load_rules()}
    assert [r.partition for r in again.returns] == [r.partition for r in first.returns]
    # Nothing a return or the site shows changed: the drafts and the pages stay as they were.
    for before, after in zip(first.returns, again.returns, strict=True):
        if before.success and not before.refused:
            assert f"returns/{after.job.removeprefix('returns_')}" in after.reused
    assert "页面保持不变" in "\n".join(lines) and index.stat().st_mtime_ns == site_built
    assert settings.snapshot_db.stat().st_mtime_ns == published
    with read_only(settings.warehouse) as con:
        (latest, reused), (previous, _) = con.execute(
            "select r.run_id, i.reused_from from quality.check_runs as r left join quality.run_inputs as i "
            "using (run_id) where r.finished_at is not null order by r.finished_at desc limit 2"
        ).fetchall()
        results = "select * exclude (run_id) from quality.check_results where run_id = ? order by rowid"
        same = con.execute(results, [latest]).fetchall() == con.execute(results, [previous]).fetchall()
    assert reused == previous and same, "nothing the rules read changed: a new check run with the last outcomes"


def test_a_task_report_in_the_inbox_reaches_the_task_marts_on_a_refresh(
    sample: tuple[Settings, Outcome, list[str]], catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh rebuilds only what its changes reach, and a form in the inbox may be a task report:
    its models (raw.task_reports downstream) are rebuilt in the same run."""
    import duckdb

    from orchestration import intake_assets
    from tests.form_files import dropped_at
    from tests.test_task_reports import GULOU, all_done, fill, template

    monkeypatch.setattr(intake_assets, "SETTLE_SECONDS", 0.0)  # ctime is now; the file is complete

    settings, _, _ = sample
    blank = template(catalogue, tmp_path, period="2026Q3")
    statuses = {code: ("已完成", "本季度已重新核定进度") for code in all_done(catalogue)}  # the text traced below
    dropped = fill(blank, settings.inbox / GULOU / "重点任务_2026Q3_重报.xlsx", statuses)
    dropped_at(dropped, datetime(2026, 11, 20, 9, 0))
    lines: list[str] = []
    again = run_all(settings, echo=lines.append)
    assert again.exit_code in (EXIT_OK, EXIT_REFUSED), [again.build.errors]
    assert "task_reports" in "\n".join(lines) and "marts/fct_task_reports" in again.build.materialized
    text = "本季度已重新核定进度"
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        received = con.execute("select count(*) from raw.task_reports where progress_text = ?", [text]).fetchone()
        sql = "select count(*) from marts.fct_task_reports where reported_progress = ?"
        shown = con.execute(sql, [text]).fetchone()
    assert received[0] > 0, "the task report was accepted"
    assert shown[0] > 0, "and its rows reached the task marts in the same run"
