"""Where the sample heads: paths toward the plans' targets, derived from the catalogue.

A real city meets some targets and misses others, and rarely overshoots by multiples. So the
sample series that a target judges are not free parameters: each runs from the plan's own baseline
toward its target, closing `reach` × the gap by the target date (1.0 = exactly met, 0.9 = missed by
a tenth of the gap). Baseline, target, unit and dates come from `plan_targets.csv`; only the reach
is a parameter here.

Some targets cannot be near-met because the seed documents themselves disagree with them; those
are `SEED_CONFLICTS`, each with the citation that forces the overshoot. The plausibility test
(tests/test_demo_plausibility.py) exempts exactly these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from sources.catalogue import Catalogue

LEGACY_DECAY = 0.10  # a year: pre-2010 invention patents (absent from the records) lapse or expire


@dataclass(frozen=True)
class Toward:
    """A sample path toward one catalogue target."""

    target_code: str
    reach: float  # share of the baseline → target gap closed by the target date


# The sample's reach per target (parameters). Only targets whose series would otherwise drift far
# from the plan are listed; the others are met or missed by their own series in figures.py.
REACH: dict[str, Toward] = {
    # valid invention patents: 23,000 in 2025 from 17,159 in 2020 (001 表2 row 2), a little exceeded
    "valid_invention_patents": Toward("fz_14th.02", 1.08),
    # Gulou: 6 publicity events over the demonstration period, ≥ 1,000 trainees a year (000 三(二)6)
    "publicity_events@350102": Toward("gulou_demo.15", 1.5),
    "training_attendances@350102": Toward("gulou_demo.16", 1.3),
}

# Targets the sample exceeds by more than any plausible margin because a seed document reports a
# figure beyond them (or two seed figures disagree). Target code → why, with the citation.
SEED_CONFLICTS: dict[str, str] = {
    "fz_13th.03": (
        "001_b5d4a5296c7b0b6a.txt, 表1 row 3 reports 194 certified firms in 2020 against the 十三五 target of 50 "
        "(一(一)4 says 195): the seed itself reports 388%"
    ),
    "fz_14th.01": (
        "001_b5d4a5296c7b0b6a.txt, 表2 rows 1–2 disagree: 23,000 valid invention patents on the registered "
        "population that gives 23.377 per 10k for 17,159 in 2020 is about 30 per 10k, not 25. The sample follows "
        "row 2 (the count), which 003_e11b5540b9df7916.txt note 3 supports (14 high-value inventions per resident "
        "10k in 2023 needs a stock well above 25 per 10k), so row 1's small gain of 1.623 is exceeded by multiples"
    ),
    "fz_14th.05": (
        "003_e11b5540b9df7916.txt, indicator note 6 reports 31 information service outlets in 2023 against "
        "001_b5d4a5296c7b0b6a.txt 表2 row 5's target of 10 by 2025"
    ),
    "fz_14th.06": (
        "003_e11b5540b9df7916.txt, indicator note 5 reports 110亿元 of pledge financing in 2023 alone, more than "
        "001_b5d4a5296c7b0b6a.txt 表2 row 6's 60亿元 for all of 2021–2025: 001's 48.22亿 (十三五) are the patent "
        "pledge loans of 一(一)4 (159 firms), 003's figure is the bulletin's IP pledge financing (trademarks too)"
    ),
}


def _target_row(catalogue: Catalogue, target_code: str) -> dict[str, str]:
    for row in catalogue.rows("plan_targets"):
        if row["target_code"] == target_code:
            return row
    raise KeyError(f"plan_targets has no {target_code}")


def _in_unit(catalogue: Catalogue, value: Decimal, from_unit: str, element: str) -> float:
    """`value` in `from_unit` expressed in the element's catalogue unit."""
    to_unit = catalogue.elements[element].unit_code
    return float(value * catalogue.units[from_unit].to_base_factor / catalogue.units[to_unit].to_base_factor)


def _years(start: str, end: str) -> float:
    return ((date.fromisoformat(end) - date.fromisoformat(start)).days + 1) / 365.25


def yearly_path(catalogue: Catalogue, element: str, toward: Toward, years: list[int]) -> dict[int, float]:
    """The element's value by year on the way to `toward`, in the element's unit.

    A level or count target: constant growth from the baseline (year-end of the baseline period)
    to baseline + reach × (target − baseline) at the target year, carried on after it at the same
    rate, and only for the years after the baseline. An annual or cumulative target: a flat yearly
    value (reach × target a year, or reach × target spread over the window's years).
    """
    row = _target_row(catalogue, toward.target_code)
    target = _in_unit(catalogue, Decimal(row["target_value"]), row["target_unit_code"], element)
    kind = row["target_kind"]
    if kind in ("annual_min", "annual_average_min"):
        return {y: toward.reach * target for y in years}
    if kind == "cumulative_min":
        per_year = toward.reach * target / _years(row["period_start"], row["period_end"])
        return {y: per_year for y in years}
    if kind in ("level_by_date", "count_by_date") and row["baseline_value"] and row["baseline_period"]:
        base = _in_unit(catalogue, Decimal(row["baseline_value"]), row["target_unit_code"], element)
        base_year = int(row["baseline_period"][-4:])
        end_year = date.fromisoformat(row["target_date"]).year
        end = base + toward.reach * (target - base)
        rate = (end / base) ** (1 / (end_year - base_year)) if base > 0 else None
        return {
            y: (base * rate ** (y - base_year) if rate else end * (y - base_year) / (end_year - base_year))
            for y in years
            if y > base_year
        }
    raise ValueError(f"{toward.target_code}: no sample path for a {kind} target without a baseline")


def plan_region(catalogue: Catalogue, target_code: str) -> str:
    return catalogue.plans[_target_row(catalogue, target_code)["plan_code"]]["region_code"]


def baseline(catalogue: Catalogue, target_code: str) -> tuple[int, float]:
    """(year, value in the target's unit) of a target's baseline."""
    row = _target_row(catalogue, target_code)
    return int(row["baseline_period"][-4:]), float(row["baseline_value"])


def legacy(l0: float, t: np.ndarray | float) -> np.ndarray:
    """Pre-2010 invention patents still valid `t` years after end-2020, from `l0` at end-2020."""
    return np.round(l0 * np.exp(-LEGACY_DECAY * np.asarray(t, dtype=float))).astype(np.int64)


def record_stock_path(catalogue: Catalogue, stock_2020: int, years: list[int]) -> Mapping[int, int]:
    """The year-end stock of valid invention patents the records should hold (the path less the legacy).

    `stock_2020` is what the records hold at the baseline; the legacy stock fills the rest of the
    seed's baseline figure and decays (figures.py adds it back).
    """
    toward = REACH["valid_invention_patents"]
    base_year, base = baseline(catalogue, toward.target_code)
    path = yearly_path(catalogue, "valid_invention_patents", toward, years)
    l0 = base - stock_2020
    return {y: round(v) - int(legacy(l0, y - base_year)) for y, v in path.items()}
