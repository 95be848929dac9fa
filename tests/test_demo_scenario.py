"""`ipwh demo` end to end: sample forms through the real templates, the inbox and normal intake."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from orchestration.demo import build_demo
from tests.sample_cache import built_sample, copy_sample, demo_summary

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, object]:
    shared = built_sample(tmp_path_factory)  # built once per session by the same build_demo
    settings = copy_sample(shared, tmp_path_factory.mktemp("demo") / "var")
    return settings, demo_summary(shared)


def rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_file_is_received_and_only_the_planted_one_rejected(demo):
    settings, summary = demo
    assert summary.files == summary.accepted + summary.rejected
    # The planted form and the task report with a status not in the list (resubmitted the next day).
    assert summary.rejected == 2 and summary.accepted > 2500
    assert rows(settings, "select bool_and(is_sample), count(*) from raw.submissions") == [(True, summary.files)]
    assert not any(p.is_file() for p in settings.inbox.rglob("*")), "inbox is emptied into the archive"
    texts = [r.read_text(encoding="utf-8") for r in summary.rejected_receipts]
    assert sum("基本完成" in t for t in texts) == 1
    (text,) = [t for t in texts if "基本完成" not in t]
    assert "示例数据" in text and "专利授权量应等于" in text and "填报表!D" in text


def test_planted_defects_arrive_as_planned(demo):
    settings, summary = demo
    kinds = {d["kind"]: d for d in summary.defects}
    assert set(kinds) == {"late", "missing", "unit_mistake", "corrected_resubmission", "rejected_file"}
    fix = kinds["corrected_resubmission"]
    versions = rows(
        settings,
        f"""
        select v.version, v.value from raw.submission_values as v
        where v.department_code = '{fix["department_code"]}' and v.period = '{fix["period"]}'
          and v.element_code = '{fix["element_code"]}' order by v.version
        """,
    )
    assert [(v, int(x)) for v, x in versions] == [(1, int(fix["wrong_value"])), (2, int(fix["right_value"]))]
    late = kinds["late"]
    (received,) = rows(
        settings,
        f"select received_at::date from raw.submissions where department_code = '{late['department_code']}' "
        f"and form_code = '{late['form_code']}' and period = '{late['period']}'",
    )
    assert received[0] > late["due_on"]
    missing = kinds["missing"]
    assert rows(
        settings,
        f"select count(*) from raw.submissions where department_code = '{missing['department_code']}' "
        f"and period = '{missing['period']}'",
    ) == [(0,)]


def test_customs_exports_arrive_as_gbk_csv(demo):
    settings, _ = demo
    assert rows(
        settings, "select distinct file_format from raw.submissions where department_code like '%customs%'"
    ) == [("csv",)]


def test_running_it_again_changes_nothing(demo):
    settings, summary = demo
    before = rows(settings, "select count(*) from raw.submissions")
    again = build_demo(settings)
    assert again.duplicate == summary.files and again.accepted == again.rejected == 0
    assert rows(settings, "select count(*) from raw.submissions") == before


def test_patent_records_are_loaded_as_sample(demo):
    settings, summary = demo
    assert summary.records > 100_000
    assert rows(settings, "select count(*), bool_and(is_sample) from raw.patent_extracts") == [(1, True)]
    assert Path(settings.archive).is_dir()


def test_the_summary_adds_up_when_a_running_inbox_sensor_takes_some_files(
    demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `ipwh ui` running, its sensor may ingest part of the drop first: those are counted as such."""
    import sources.intake.pipeline as pipeline

    settings, summary = demo
    real_inbox_files = pipeline.inbox_files

    def sensor_takes_seven_first(s: Settings) -> list:
        waiting = real_inbox_files(s)
        pipeline.ingest(waiting[:7], s, actor="dagster")  # the other process, before the demo's ingest
        return real_inbox_files(s)

    monkeypatch.setattr(pipeline, "inbox_files", sensor_takes_seven_first)
    again = build_demo(settings)
    assert again.files == summary.files
    assert again.taken_elsewhere == 7
    assert again.accepted + again.rejected + again.duplicate + again.taken_elsewhere == again.files
    assert again.adds_up()


def test_status_notes_and_null_reasons_are_in_chinese_only(demo) -> None:
    settings, _ = demo
    english = "regexp_matches({0}, '[A-Za-z]{{3,}}')"
    for table, column in (
        ("marts.fct_target_progress", "status_note"),
        ("marts.fct_target_progress_history", "status_note"),
        ("marts.fct_indicator_values", "null_reason"),
        ("marts.fct_element_values", "incomplete_reason"),
    ):
        found = rows(settings, f"select distinct {column} from {table} where {english.format(column)} limit 5")
        assert not found, (table, found)
