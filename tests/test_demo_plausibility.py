"""The sample is plausible against the plans: every target it judges is met or missed by a believable
margin, except where a seed document itself reports a figure far beyond the target."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from sources.catalogue import Catalogue
from sources.demo import trajectories
from sources.demo.trajectories import REACH, SEED_CONFLICTS, Toward
from tests.sample_cache import built_sample

FLOOR = Decimal(40)  # below this a plan would have been abandoned, not missed
CEILING = Decimal(300)  # above this a target was set beside the point, which only a seed may say


@pytest.fixture(scope="module")
def progress(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """fct_target_progress of the sample scenario as of 2026-11-21, by target code."""
    con = duckdb.connect(str(built_sample(tmp_path_factory) / "warehouse.duckdb"), read_only=True)
    try:
        cursor = con.execute("select * from marts.fct_target_progress")
        columns = [c[0] for c in cursor.description]
        return {row[columns.index("target_code")]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}
    finally:
        con.close()


def test_every_judged_target_is_met_or_missed_by_a_plausible_margin(progress: dict) -> None:
    judged = {code: row["completion_pct"] for code, row in progress.items() if row["completion_pct"] is not None}
    assert len(judged) >= 40, "the sample judges most of the catalogue's targets"
    outside = {
        code: round(pct, 1)
        for code, pct in judged.items()
        if code not in SEED_CONFLICTS and not FLOOR <= pct <= CEILING
    }
    assert not outside, f"completion outside [{FLOOR}%, {CEILING}%] with no seed conflict listed: {outside}"


def test_the_sample_meets_some_targets_and_misses_others(progress: dict) -> None:
    verdicts = [row["final_verdict"] for row in progress.values() if row["final_verdict"] is not None]
    assert verdicts.count("未完成") >= 8 and verdicts.count("超额完成") + verdicts.count("完成") >= 15


def test_every_listed_seed_conflict_is_cited_and_still_exceeds(catalogue: Catalogue, progress: dict) -> None:
    seed_files = {t.seed_file for t in catalogue.targets}
    for code, why in SEED_CONFLICTS.items():
        assert any(seed in why for seed in seed_files), f"{code}: the conflict names no seed document"
        pct = progress[code]["completion_pct"]
        assert pct is not None and pct > CEILING, f"{code} is no longer beyond {CEILING}%: drop it from SEED_CONFLICTS"


def test_the_invention_stock_follows_its_path_to_the_target(catalogue: Catalogue, progress: dict) -> None:
    toward = REACH["valid_invention_patents"]
    path = trajectories.yearly_path(catalogue, "valid_invention_patents", toward, [2025])
    target = next(t for t in catalogue.targets if t.code == toward.target_code)
    assert target.value is not None and target.baseline_value is not None
    assert path[2025] == pytest.approx(
        float(target.baseline_value) + toward.reach * float(target.value - target.baseline_value)
    )
    assert float(progress[toward.target_code]["current_value"]) == pytest.approx(path[2025], abs=1)


@pytest.mark.parametrize(
    ("kind_target", "reach", "expected"),
    [
        ("gulou_demo.16", 1.0, {2023: 1000.0, 2024: 1000.0}),  # annual_min: the target every year
        ("gulou_demo.14", 0.5, {2023: 30.0, 2024: 30.0}),  # annual_average_min
    ],
)
def test_a_yearly_path_is_reach_times_an_annual_target(
    catalogue: Catalogue, kind_target: str, reach: float, expected: dict[int, float]
) -> None:
    indicator = next(t.indicator_code for t in catalogue.targets if t.code == kind_target)
    assert trajectories.yearly_path(catalogue, indicator, Toward(kind_target, reach), [2023, 2024]) == expected


def test_a_cumulative_target_is_spread_over_its_window(catalogue: Catalogue) -> None:
    path = trajectories.yearly_path(catalogue, "publicity_events", Toward("gulou_demo.15", 1.0), [2023])
    # 6 events over 2022-10-21 … 2025-06-30 (000 三(二)6): about 2.2 a year
    assert path[2023] == pytest.approx(6 / (984 / 365.25))


def test_a_target_with_no_baseline_and_a_level_kind_has_no_path(catalogue: Catalogue) -> None:
    with pytest.raises(ValueError, match=r"gulou_demo\.08"):
        trajectories.yearly_path(catalogue, "valid_invention_patents", Toward("gulou_demo.08", 1.0), [2024])


def test_a_record_share_over_the_programme_counts_its_exact_days(
    tmp_path_factory: pytest.TempPathFactory, progress: dict
) -> None:
    """000's programme opens on 2022-10-21: grants of 1–20 October 2022 are not in its share."""
    con = duckdb.connect(str(built_sample(tmp_path_factory) / "warehouse.duckdb"), read_only=True)
    try:
        service, grants = con.execute(
            "select count(*) filter (where is_service_invention), count(*) from raw.patent_records "
            "where region_code = '350102' and grant_date between date '2022-10-21' and date '2025-06-30' "
            "and extract_id = (select extract_id from raw.patent_extracts "
            "order by as_of desc, loaded_at desc, extract_id desc limit 1)"
        ).fetchone()
    finally:
        con.close()
    row = progress["gulou_demo.04"]
    assert row["window_is_exact"] is True
    assert float(row["current_value"]) == pytest.approx(service / grants * 100, abs=1e-9)


def test_window_sums_are_shown_only_for_kinds_judged_on_them(progress: dict) -> None:
    shown = {code for code, row in progress.items() if row["cumulative_value"] is not None}
    assert shown and all(progress[c]["target_kind"] in ("cumulative_min", "absence") for c in shown)
    assert progress["fz_14th.02"]["cumulative_value"] is None  # valid invention patents: a level


def test_every_new_kind_has_a_status_in_the_mart(progress: dict) -> None:
    kinds = {row["target_kind"]: row for row in progress.values()}
    for kind in ("absence", "rank_max", "coverage_min", "annual_increase"):
        assert kinds[kind]["status"] in ("已完成", "进度正常", "需加快", "滞后", "未完成", "数据不足"), kind
    assert progress["gulou_demo.18"]["status"] == "已完成"  # no major group infringement case in the sample
    ranked = [row for row in progress.values() if row["target_kind"] == "rank_max"]
    assert all(r["status"] == "数据不足" and "泉州市各县（市、区）" in r["status_note"] for r in ranked)
