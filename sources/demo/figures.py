"""Sample figures for `ipwh demo`: what every department reports on every form, 2019-01 → 2026-10.

Deterministic and catalogue-driven: the forms, their elements, rules, due days and submitting
departments come from the catalogue; this module holds only generation parameters (levels,
growth, county weights) and the seed figures the data must reproduce, each with its citation.

How the figures hang together:
- a county-level department's figure is a *leaf*; the city department of a form that counties also
  fill in reports the sum of its counties (flows and stocks alike), so city = Σ counties exactly;
- patent application and grant counts (and PCT/abroad) are aggregates of the record-level data in
  `records.py`, the ground truth the IP offices report from;
- seed figures (17,159 valid invention patents in 2020, 24.67万 / 37.66万 trademarks, 110亿元 pledge
  financing in 2023, …) are hit exactly by the city totals; other years carry noise;
- series that a plan target judges head from the plan's baseline toward its target
  (`trajectories.py`): some targets are met, some missed, none exceeded by multiples unless a
  seed document reports it (`trajectories.SEED_CONFLICTS`);
- the CNIPA bulletin form repeats the city's figures with small published revisions;
- `defects.py` then plants the four deliberate mistakes described in `demo_defects`.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

import numpy as np
import pandas as pd

from sources.catalogue import Catalogue
from sources.demo import records as rec
from sources.demo import trajectories
from sources.demo.records import largest_remainder
from sources.forms.spec import FormSpec, form_spec, submitters
from sources.periods import Period

SEED = 20190101
FUZHOU = "350100"  # the city whose plans the seeds set; its counties share the city totals below
LICHENG = "350502"  # 鲤城区 (Quanzhou): its own series
SEED_2020_VALID_INVENTION = 17_159  # 001_b5d4a5296c7b0b6a.txt, 表2 row 2
SEED_2020_PER_10K = Decimal("23.377")  # 001_b5d4a5296c7b0b6a.txt, 表1 row 1; 表2 row 1
SEED_2023_HIGH_VALUE_PER_10K = 14  # 003_e11b5540b9df7916.txt, indicator note 3 (per resident 10k, as catalogued)
# Registered population 2020 (万人) so that 17,159 / pop × 10⁴ rounds to 23.377: 734.01–734.03
# (001_b5d4a5296c7b0b6a.txt, 表2 rows 1–2; the catalogue's invention_patents_per_10k uses 户籍人口).
SEED_2020_REGISTERED_POP = 734.02
RESIDENT_POP_2020 = 829.13  # about 8.29 million (spec/catalogue.md, fz_14th note); a parameter, not a seed figure

_ORDER = {"month": 0, "quarter": 1, "year": 2}
SPAN = (2019, 2026)  # years the parameters describe; figures are generated for all of them


def _rng(*keys: object) -> np.random.Generator:
    return np.random.default_rng([SEED, *(zlib.crc32(str(k).encode()) for k in keys)])


# --- parameters -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Series:
    """How one data element evolves, in the element's catalogue unit.

    `fz` is the Fuzhou figure by year: the year's total for a flow, the year-end level for a stock,
    the year's value for a rate. Missing years are interpolated; `exact` years are seed figures and
    are kept exactly, the others get a little noise.
    """

    fz: Mapping[int, float]
    exact: tuple[int, ...] = ()
    weights: str = "patents"  # county split profile (WEIGHTS)
    licheng: Mapping[int, float] | None = None  # Licheng's own; default: fz × LICHENG_SCALE
    sub: Mapping[int, float] | None = None  # per Gulou sub-district office
    season: str = "flat"
    noise: float = 0.03
    start: float | None = None  # stock level at the end of the year before the first
    seq: bool = False  # designated sites: whole sites assigned in a fixed order, so counties fill up in turn
    pins: Mapping[str, Mapping[int, float]] = field(default_factory=dict)  # region → year → own level
    plus: str | None = None  # value = own series + this element (same department and period)
    ratio_of: tuple[str, ...] = ()  # value = Σ these elements × factor(year) × jitter
    factor: Mapping[int, float] | None = None
    jitter: float = 0.0
    share_of: tuple[str, ...] = ()  # split the city total in proportion to Σ these elements
    geometric: bool = False  # interpolate between the given years at a constant growth rate


# County weights (parameters). Keys are region codes or, for several departments of one region
# (the three customs houses), department codes. Unknown keys get "_default", else the mean weight.
WEIGHTS: dict[str, dict[str, float]] = {
    "patents": {code: p.share for code, p in rec.PROFILES.items() if p.share > 0},
    "trademarks": {
        "350102": 0.13, "350103": 0.08, "350104": 0.13, "350105": 0.05, "350111": 0.11, "350112": 0.08,
        "350121": 0.10, "350122": 0.04, "350123": 0.015, "350124": 0.015, "350125": 0.015, "350128": 0.03,
        "350181": 0.14,
    },
    "enforcement": {
        "350102": 0.10, "350103": 0.10, "350104": 0.12, "350105": 0.05, "350111": 0.10, "350112": 0.09,
        "350121": 0.09, "350122": 0.05, "350123": 0.025, "350124": 0.025, "350125": 0.025, "350128": 0.04,
        "350181": 0.14,
    },
    # manufacturing counties insure and pledge patents; Gulou (services, software) much less
    "industry": {
        "350102": 0.07, "350103": 0.04, "350104": 0.10, "350105": 0.12, "350111": 0.09, "350112": 0.12,
        "350121": 0.15, "350122": 0.05, "350123": 0.03, "350124": 0.03, "350125": 0.02, "350128": 0.02,
        "350181": 0.16,
    },
    "pledge": {
        "350102": 0.028, "350103": 0.04, "350104": 0.10, "350105": 0.13, "350111": 0.08, "350112": 0.13,
        "350121": 0.16, "350122": 0.05, "350123": 0.03, "350124": 0.03, "350125": 0.02, "350128": 0.03,
        "350181": 0.18,
    },
    "budget": {
        "350102": 0.085, "350103": 0.06, "350104": 0.09, "350105": 0.05, "350111": 0.08, "350112": 0.10,
        "350121": 0.10, "350122": 0.07, "350123": 0.035, "350124": 0.035, "350125": 0.04, "350128": 0.085,
        "350181": 0.17,
    },
    "gdp": {
        "350102": 0.14, "350103": 0.075, "350104": 0.09, "350105": 0.055, "350111": 0.085, "350112": 0.11,
        "350121": 0.10, "350122": 0.075, "350123": 0.035, "350124": 0.025, "350125": 0.025, "350128": 0.03,
        "350181": 0.155,
    },
    # resident population 2020 (万人, approximate census figures), scaled to RESIDENT_POP_2020
    "resident": {
        "350102": 71.52, "350103": 44.68, "350104": 104.52, "350105": 23.16, "350111": 95.32, "350112": 76.22,
        "350121": 98.15, "350122": 57.36, "350123": 21.85, "350124": 23.33, "350125": 26.57, "350128": 38.62,
        "350181": 136.23,
    },
    # registered ÷ resident: students and migrants live in the urban districts, emigrants' hukou stay home
    "registered_ratio": {
        "350102": 0.925, "350103": 0.92, "350104": 0.70, "350105": 0.85, "350111": 0.75, "350112": 0.95,
        "350121": 0.72, "350122": 1.10, "350123": 1.12, "350124": 1.25, "350125": 1.30, "350128": 1.10,
        "350181": 0.98,
    },
    "rural": {
        "350102": 0.0, "350103": 0.0, "350104": 0.02, "350105": 0.03, "350111": 0.05, "350112": 0.10,
        "350121": 0.12, "350122": 0.15, "350123": 0.12, "350124": 0.12, "350125": 0.14, "350128": 0.05,
        "350181": 0.10,
    },
    "culture": {"350102": 1.0, "_default": 0.02},
    "customs": {"350100.customs_rongcheng": 0.52, "350100.customs_mawei": 0.31, "350100.customs_changle_airport": 0.17},
    "equal": {},
}  # fmt: skip
LICHENG_SCALE = {"patents": 0.03, "trademarks": 0.035, "enforcement": 0.04, "industry": 0.03, "pledge": 0.02}

# Sub-period weights for flows.
SEASONS: dict[str, dict[str, list[float]]] = {
    "flat": {"month": [1.0] * 12, "quarter": [1.0] * 4},
    "trademark": {"month": [0.080, 0.060, 0.088, 0.082, 0.084, 0.088, 0.085, 0.083, 0.086, 0.072, 0.090, 0.102],
                  "quarter": [0.23, 0.25, 0.25, 0.27]},
    "enforcement": {"month": [1.0] * 12, "quarter": [0.20, 0.27, 0.25, 0.28]},  # campaigns around 4·26
    "publicity": {"month": [1.0] * 12, "quarter": [0.15, 0.40, 0.18, 0.27]},  # 知识产权宣传周 in April
    "court": {"month": [1.0] * 12, "quarter": [0.22, 0.26, 0.25, 0.27]},
    "pledge": {"month": [1.0] * 12, "quarter": [0.18, 0.25, 0.24, 0.33]},  # banks close the year strongly
}  # fmt: skip


SERIES: dict[str, Series] = {
    # --- ip_creation_monthly (patent counts come from the records) ---
    "trademark_applications": Series(
        fz={2019: 68_400, 2020: 76_100, 2021: 92_300, 2022: 84_600, 2023: 80_200, 2024: 83_500, 2025: 86_300,
            2026: 88_000},
        weights="trademarks", season="trademark",
        licheng={2019: 3_150, 2020: 3_420, 2021: 3_880, 2022: 3_710, 2023: 3_650, 2024: 3_760, 2025: 3_840,
                 2026: 3_900},
    ),
    "trademark_registrations": Series(  # with valid_trademarks; net growth = registrations − lapses
        fz={2019: 38_300, 2020: 43_200, 2021: 58_100, 2022: 62_400, 2023: 55_300, 2024: 47_200, 2025: 45_100,
            2026: 46_000},
        weights="trademarks", season="trademark",
        licheng={2019: 2_050, 2020: 2_310, 2021: 2_590, 2022: 2_640, 2023: 2_700, 2024: 2_740, 2025: 2_800,
                 2026: 2_850},
    ),
    "valid_trademarks": Series(
        # 24.67万件 at end-2020: 001_b5d4a5296c7b0b6a.txt, 表1 row 2 and 表2 row 3;
        # 37.66万件 at end-2023: 003_e11b5540b9df7916.txt, indicator note 4.
        fz={2019: 219_800, 2020: 246_700, 2021: 290_100, 2022: 336_200, 2023: 376_600, 2024: 405_300, 2025: 431_400,
            2026: 456_000},
        exact=(2020, 2023), start=197_500, weights="trademarks",
        licheng={2019: 17_900, 2020: 19_400, 2021: 21_200, 2022: 22_900, 2023: 24_500, 2024: 25_900, 2025: 27_300,
                 2026: 28_600},
    ),
    "madrid_registrations": Series(  # 315 at end-2020: 001_b5d4a5296c7b0b6a.txt, 一(一)3
        fz={2019: 283, 2020: 315, 2021: 352, 2022: 391, 2023: 428, 2024: 462, 2025: 497, 2026: 530},
        exact=(2020,), start=255, weights="trademarks",
        licheng={2019: 21, 2020: 23, 2021: 26, 2022: 28, 2023: 30, 2024: 33, 2025: 35, 2026: 36},
    ),
    "geographical_indication_trademarks": Series(  # 29 at end-2020: 001_b5d4a5296c7b0b6a.txt, 一(一)3
        fz={2019: 27, 2020: 29, 2021: 30, 2022: 31, 2023: 33, 2024: 34, 2025: 35, 2026: 36},
        exact=(2020,), start=26, weights="rural", seq=True, licheng={2019: 1, 2026: 1},
    ),
    # --- ip_protection_quarterly (十三五 five-year totals in 001_b5d4a5296c7b0b6a.txt, 一(一)4–5 give the scale) ---
    "counterfeit_patent_cases": Series(  # 十三五 2,010 cases (一(一)5); fewer after the 2019 enforcement reform
        fz={2019: 262, 2020: 148, 2021: 71, 2022: 46, 2023: 33, 2024: 29, 2025: 26, 2026: 25},
        weights="enforcement", season="enforcement", licheng={2019: 11, 2020: 7, 2021: 5, 2023: 3, 2026: 2},
    ),
    "patent_disputes_closed_by_ruling": Series(  # 65 in 2023: 003_e11b5540b9df7916.txt, indicator note 9
        fz={2019: 14, 2020: 18, 2021: 31, 2022: 47, 2023: 65, 2024: 74, 2025: 82, 2026: 85},
        exact=(2023,), weights="enforcement", season="enforcement", licheng={2019: 2, 2022: 3, 2026: 4},
    ),
    "patent_infringement_disputes": Series(  # disputes = those closed by ruling + the others; 十三五 186 (一(一)5)
        fz={2019: 24, 2020: 22, 2021: 26, 2022: 28, 2023: 31, 2024: 32, 2025: 34, 2026: 35},
        plus="patent_disputes_closed_by_ruling", weights="enforcement", season="enforcement",
        licheng={2019: 3, 2026: 4},
    ),
    "trademark_infringement_cases": Series(  # 十三五 685 (一(一)5)
        fz={2019: 152, 2020: 126, 2021: 118, 2022: 104, 2023: 98, 2024: 93, 2025: 90, 2026: 88},
        weights="enforcement", season="enforcement", licheng={2019: 6, 2026: 4},
    ),
    "admin_enforcement_cases": Series(  # 130 in 2023: 003_e11b5540b9df7916.txt, indicator note 8
        fz={2019: 94, 2020: 101, 2021: 108, 2022: 117, 2023: 130, 2024: 141, 2025: 149, 2026: 155},
        exact=(2023,), weights="enforcement", season="enforcement", licheng={2019: 5, 2026: 7},
    ),
    "firms_rights_assistance": Series(  # 56 in 2023: 003_e11b5540b9df7916.txt, indicator note 10
        fz={2019: 28, 2020: 34, 2021: 41, 2022: 48, 2023: 56, 2024: 66, 2025: 74, 2026: 80},
        exact=(2023,), weights="enforcement", licheng={2019: 3, 2026: 5},
    ),
    "patent_transfers_licences": Series(  # 十三五 111 (001_b5d4a5296c7b0b6a.txt, 一(一)4)
        fz={2019: 24, 2020: 27, 2021: 30, 2022: 34, 2023: 37, 2024: 41, 2025: 45, 2026: 48},
        licheng={2019: 2, 2026: 3},
    ),
    "patent_transfer_licence_income": Series(  # 十三五 48,631.37万元 for 111 deals ≈ 438万元 a deal (一(一)4)
        fz={}, ratio_of=("patent_transfers_licences",), factor={2019: 420.0, 2026: 520.0}, jitter=0.35,
    ),
    "patent_insurance_patents": Series(  # 十三五 2,845 patents (一(一)4); Gulou below its 60/yr (000 三(二)4)
        fz={2019: 562, 2020: 608, 2021: 676, 2022: 718, 2023: 761, 2024: 802, 2025: 838, 2026: 860},
        weights="industry", licheng={2019: 18, 2026: 24},
    ),
    "patent_insurance_firms": Series(  # 282 firms for 2,845 patents ≈ 1 firm per 10 patents (一(一)4)
        fz={}, ratio_of=("patent_insurance_patents",), factor={2019: 0.10, 2026: 0.11}, jitter=0.25,
    ),
    "patent_insurance_sum_insured": Series(  # 3,808.6万元 for 2,845 patents ≈ 1.34万元 a patent (一(一)4)
        fz={}, ratio_of=("patent_insurance_patents",), factor={2019: 1.40, 2026: 2.10}, jitter=0.20,
    ),
    "patent_pledge_loans": Series(  # patent-only part of pledge financing; Gulou ≈ 1.2亿/yr (000 三(二)4 asks 1亿)
        fz={2019: 60_000, 2020: 76_000, 2021: 152_000, 2022: 281_000, 2023: 418_000, 2024: 497_000, 2025: 562_000,
            2026: 600_000},
        weights="pledge", season="pledge", licheng={2019: 2_600, 2020: 3_100, 2021: 5_200, 2023: 9_800, 2026: 12_000},
    ),
    "publicity_events": Series(
        fz={2019: 112, 2020: 84, 2021: 118, 2022: 126, 2023: 134, 2024: 141, 2025: 146, 2026: 150},
        weights="enforcement", season="publicity", noise=0.05,
        licheng={2019: 8, 2020: 5, 2021: 7, 2022: 7, 2023: 8, 2024: 8, 2025: 9, 2026: 9},
        sub={2019: 5, 2020: 3, 2021: 5, 2022: 6, 2023: 6, 2024: 7, 2025: 7, 2026: 7},
    ),
    "training_attendances": Series(
        fz={2019: 15_800, 2020: 10_900, 2021: 17_600, 2022: 19_100, 2023: 20_400, 2024: 21_300, 2025: 22_000,
            2026: 22_500},
        season="publicity", noise=0.05,
        licheng={2019: 1_260, 2020: 780, 2021: 1_150, 2022: 1_210, 2023: 1_300, 2024: 1_340, 2025: 1_380, 2026: 1_400},
        sub={2019: 260, 2020: 150, 2021: 240, 2022: 300, 2023: 320, 2024: 340, 2025: 350, 2026: 355},
    ),
    "patent_industrialisation_projects": Series(
        fz={2019: 38, 2020: 33, 2021: 41, 2022: 44, 2023: 46, 2024: 48, 2025: 50, 2026: 52},
        weights="industry", noise=0.08,
        licheng={2019: 14, 2020: 11, 2021: 14, 2022: 13, 2023: 12, 2024: 12, 2025: 12, 2026: 12},
    ),
    # --- ip_work_annual (year-end levels) ---
    "protection_pilot_stations": Series(  # 11 at end-2023, 26 planned: 003_e11b5540b9df7916.txt, note 1; 四(一)
        fz={2019: 0, 2021: 0, 2022: 4, 2023: 11, 2024: 18, 2025: 24, 2026: 26},
        exact=(2023,), seq=True, weights="patents", start=0, licheng={2019: 0, 2026: 0},
    ),
    "featured_brand_stations": Series(  # 0 at end-2023, 5 planned: 003_e11b5540b9df7916.txt, note 2; 四(一)
        fz={2019: 0, 2023: 0, 2024: 2, 2025: 4, 2026: 5},
        exact=(2023,), seq=True, weights="patents", start=0, licheng={2019: 0, 2026: 0},
    ),
    "info_service_outlets": Series(
        # 0 in 2020 (001_b5d4a5296c7b0b6a.txt, 表2 row 5), 31 in 2023 (003_e11b5540b9df7916.txt, note 6)
        # After 2023 the network is built: a site a year (001's 10 by 2025 is long passed, trajectories.SEED_CONFLICTS).
        fz={2019: 0, 2020: 0, 2021: 9, 2022: 20, 2023: 31, 2024: 32, 2025: 33, 2026: 34},
        exact=(2020, 2023), seq=True, weights="patents", start=0, licheng={2019: 1, 2021: 2, 2026: 3},
    ),
    "consultation_points": Series(  # 0 in 2023: 003_e11b5540b9df7916.txt, indicator note 11
        fz={2019: 0, 2023: 0, 2024: 5, 2025: 11, 2026: 13},
        exact=(2023,), seq=True, weights="enforcement", start=0, licheng={2019: 0, 2026: 0},
    ),
    "firms_ip_standard_certified": Series(  # 194 at end-2020: 001_b5d4a5296c7b0b6a.txt, 表1 row 3 (一(一)4 says 195)
        fz={2019: 168, 2020: 194, 2021: 221, 2022: 246, 2023: 268, 2024: 287, 2025: 305},
        exact=(2020,), start=141,
        pins={"350102": {2018: 21, 2019: 24, 2020: 27, 2021: 30, 2022: 32, 2023: 34, 2024: 36, 2025: 38}},
        licheng={2019: 7, 2020: 9, 2021: 11, 2022: 12, 2023: 13, 2024: 14, 2025: 15},
    ),
    "firms_pilot_demo_national": Series(  # 44 new national titles in 十三五: 001_b5d4a5296c7b0b6a.txt, 一(一)4
        fz={2019: 40, 2020: 44, 2021: 48, 2022: 52, 2023: 55, 2024: 58, 2025: 61},
        exact=(2020,), start=36,
        pins={"350102": {2018: 3, 2019: 4, 2020: 4, 2021: 5, 2022: 5, 2023: 6, 2024: 7, 2025: 7}},
        licheng={2019: 1, 2021: 2, 2025: 3},
    ),
    "firms_pilot_demo_provincial": Series(  # 89 new provincial titles in 十三五 (一(一)4)
        fz={2019: 80, 2020: 89, 2021: 97, 2022: 105, 2023: 112, 2024: 118, 2025: 124},
        exact=(2020,), start=71,
        pins={"350102": {2018: 11, 2019: 12, 2020: 13, 2021: 14, 2022: 15, 2023: 16, 2024: 17, 2025: 18}},
        licheng={2019: 3, 2021: 4, 2025: 5},
    ),
    "firms_pilot_demo_municipal": Series(  # 141 new municipal titles in 十三五 (一(一)4)
        fz={2019: 128, 2020: 141, 2021: 155, 2022: 168, 2023: 180, 2024: 191, 2025: 201},
        exact=(2020,), start=115,
        pins={"350102": {2018: 36, 2019: 40, 2020: 44, 2021: 48, 2022: 52, 2023: 56, 2024: 60, 2025: 63}},
        licheng={2019: 2, 2021: 3, 2025: 5},
    ),
    # 255 distinct firms at end-2020 (001_b5d4a5296c7b0b6a.txt, 表1 row 4) against 274 titles (一(一)4)
    "firms_demo_advantage": Series(
        fz={2019: 231, 2020: 255, 2021: 276, 2022: 297, 2023: 315, 2024: 333, 2025: 350},
        exact=(2020,),
        share_of=("firms_pilot_demo_national", "firms_pilot_demo_provincial", "firms_pilot_demo_municipal"),
        licheng={2019: 5, 2020: 6, 2021: 7, 2022: 8, 2023: 8, 2024: 9, 2025: 10},
    ),
    "firms_advantage_demo_all_levels": Series(  # the above plus firms with county-level titles only
        fz={2019: 64, 2020: 71, 2021: 79, 2022: 86, 2023: 92, 2024: 97, 2025: 102}, start=58,
        plus="firms_demo_advantage", licheng={2019: 2, 2020: 3, 2021: 4, 2022: 4, 2023: 5, 2024: 5, 2025: 5},
    ),
    "firms_pilot": Series(
        fz={2019: 148, 2020: 161, 2021: 173, 2022: 186, 2023: 197, 2024: 207, 2025: 216}, start=134,
        licheng={2018: 13, 2019: 14, 2020: 16, 2021: 17, 2022: 18, 2023: 19, 2024: 20, 2025: 21},
    ),
    "firms_contacted": Series(
        fz={2019: 1_420, 2020: 1_530, 2021: 1_660, 2022: 1_780, 2023: 1_890, 2024: 1_990, 2025: 2_080, 2026: 2_150},
        start=1_300,
        licheng={2018: 112, 2019: 128, 2020: 146, 2021: 158, 2022: 166, 2023: 173, 2024: 180, 2025: 186, 2026: 190},
        sub={2018: 18, 2019: 22, 2020: 25, 2021: 29, 2022: 34, 2023: 38, 2024: 42, 2025: 46, 2026: 48},
    ),
    "ip_protection_satisfaction": Series(  # 95% at end-2023: 003_e11b5540b9df7916.txt, indicator note 7
        fz={2019: 88.6, 2020: 90.2, 2021: 91.8, 2022: 93.4, 2023: 95.0, 2024: 95.6, 2025: 96.1}, exact=(2023,),
        noise=0.003,
    ),
    "data_ip_pilots": Series(  # 1 planned: 003_e11b5540b9df7916.txt, 三(一)3
        fz={2019: 0, 2024: 0, 2025: 1, 2026: 1}, seq=True, start=0, licheng={2019: 0, 2026: 0},
    ),
    "protection_demo_parks": Series(  # 2 planned (三(一)3); one designated by end-2025
        fz={2019: 0, 2024: 0, 2025: 1, 2026: 2}, seq=True, weights="industry", start=0, licheng={2019: 0, 2026: 0},
    ),
    "culture_protection_blocks": Series(  # 1 planned (三(一)3): 三坊七巷 lies in Gulou
        fz={2019: 0, 2024: 0, 2025: 1, 2026: 1}, seq=True, weights="culture", start=0, licheng={2019: 0, 2026: 0},
    ),
    # --- copyright, courts, procuratorate, police, customs (city) ---
    "works_registered": Series(
        # 5.29万件 in 2020: 001_b5d4a5296c7b0b6a.txt, 表2 row 4; 十三五 total 141,726 (一(一)3)
        fz={2019: 34_600, 2020: 52_900, 2021: 55_800, 2022: 57_300, 2023: 59_100, 2024: 60_800, 2025: 62_400,
            2026: 63_500},
        exact=(2020,), noise=0.015,
    ),
    "piracy_cases": Series(fz={2019: 12, 2020: 10, 2021: 11, 2022: 9, 2023: 10, 2024: 9, 2025: 9, 2026: 9}, noise=0.15),
    # 10,568 IP cases accepted in 十三五 (001 一(一)5), rising to about 3,000 a year by 2020.
    "court_ip_cases_accepted_civil": Series(
        fz={2019: 2_370, 2020: 2_760, 2021: 3_150, 2022: 3_300, 2023: 3_420, 2024: 3_560, 2025: 3_650, 2026: 3_700},
        season="court",
    ),
    "court_ip_cases_accepted_administrative": Series(fz={2019: 40, 2022: 52, 2026: 58}, season="court", noise=0.12),
    "court_ip_cases_accepted_criminal": Series(fz={2019: 140, 2020: 162, 2022: 140, 2026: 128}, season="court",
                                               noise=0.08),
    "court_ip_cases_closed": Series(
        fz={},
        ratio_of=(
            "court_ip_cases_accepted_civil",
            "court_ip_cases_accepted_administrative",
            "court_ip_cases_accepted_criminal",
        ),
        factor={2019: 0.925},
        jitter=0.06,
    ),
    # 61 cases / 123 persons arrested, 125 cases / 285 persons prosecuted in 十三五 (一(一)5)
    "arrests_approved_cases": Series(fz={2019: 14, 2020: 16, 2021: 15, 2022: 13, 2023: 12, 2026: 11}, noise=0.12),
    "arrests_approved_persons": Series(fz={2019: 15, 2021: 14, 2026: 11}, plus="arrests_approved_cases", noise=0.15),
    "prosecutions_cases": Series(fz={2019: 28, 2020: 31, 2021: 30, 2023: 27, 2026: 25}, noise=0.1),
    "prosecutions_persons": Series(fz={2019: 36, 2020: 40, 2022: 36, 2026: 32}, plus="prosecutions_cases", noise=0.12),
    "police_ip_crime_cases": Series(  # 4,171 cases in 十三五 (一(一)5)
        fz={2019: 782, 2020: 721, 2021: 652, 2022: 603, 2023: 566, 2024: 541, 2025: 522, 2026: 510},
    ),
    "police_suspects_caught": Series(  # 5,089 suspects for 4,171 cases (一(一)5)
        fz={}, ratio_of=("police_ip_crime_cases",), factor={2019: 1.22}, jitter=0.10,
    ),
    "customs_seizure_batches": Series(  # 6,029 batches in 十三五 (一(一)5)
        fz={2019: 1_250, 2020: 980, 2021: 1_050, 2022: 905, 2023: 1_120, 2024: 1_180, 2025: 1_205, 2026: 1_220},
        weights="customs",
    ),
    "customs_seizure_items": Series(  # 282.0478万 items for 6,029 batches ≈ 468 a batch (一(一)5)
        fz={}, ratio_of=("customs_seizure_batches",), factor={2019: 468.0}, jitter=0.45,
    ),
    # --- finance, statistics (counties; the city reports their sum) ---
    "general_budget_expenditure": Series(  # Σ county-level budgets (万元)
        fz={2019: 5_452_000, 2020: 5_718_000, 2021: 5_861_000, 2022: 6_012_000, 2023: 6_148_000, 2024: 6_262_000,
            2025: 6_401_000, 2026: 6_520_000},
        weights="budget", noise=0.01,
        licheng={2019: 248_300, 2020: 262_100, 2021: 259_400, 2022: 270_200, 2023: 276_100, 2024: 281_500,
                 2025: 287_300, 2026: 292_000},
    ),
    "gdp": Series(  # 亿元 (approximate published figures; parameters)
        fz={2019: 9_392.30, 2020: 10_020.02, 2021: 11_324.48, 2022: 12_308.23, 2023: 12_928.47, 2024: 13_611.0,
            2025: 14_300.0, 2026: 14_950.0},
        weights="gdp", noise=0.0,
        licheng={2019: 531.6, 2020: 546.2, 2021: 603.9, 2022: 624.7, 2023: 650.3, 2024: 679.5, 2025: 705.1,
                 2026: 730.0},
    ),
    # --- pledge financing (市委金融办) ---
    "pledge_financing_amount": Series(
        # 110亿元 in 2023: 003_e11b5540b9df7916.txt, indicator note 5. 2019–2020 (11.0亿 + 14.22亿) leave
        # 23.00亿 for 2016–2018 so that 十三五 sums to 48.22亿 (001_b5d4a5296c7b0b6a.txt, 表2 row 6; 一(一)4).
        # Constant growth from 2020 to the seed's 2023 figure, then +7% a year: 001's 60亿 for 2021–2025 is
        # exceeded by 2023 alone (a conflict between the seeds, trajectories.SEED_CONFLICTS).
        fz={2019: 110_000, 2020: 142_200, 2023: 1_100_000, 2026: 1_100_000 * 1.07**3},
        exact=(2019, 2020, 2023), season="pledge", geometric=True,
    ),
    "pledge_loans": Series(  # average loan shrinks as pledge loans spread to small firms
        fz={}, ratio_of=("pledge_financing_amount",),
        factor={2019: 1 / 2_600, 2020: 1 / 2_400, 2021: 1 / 1_600, 2022: 1 / 1_100, 2023: 1 / 900, 2026: 1 / 780},
        jitter=0.08,
    ),
    "pledge_firms": Series(fz={}, ratio_of=("pledge_loans",), factor={2019: 0.86}, jitter=0.07),
    # 0 in 2023, 100 a year planned: 003_e11b5540b9df7916.txt, indicator note 12. A programme enrolling since
    # 2020 sends out its first class in 2024 and grows toward the 100.
    "ip_graduates": Series(
        fz={2019: 0, 2023: 0, 2024: 45, 2025: 80, 2026: 95}, exact=(2019, 2020, 2021, 2022, 2023), noise=0.0,
    ),
    "arbitration_ip_cases": Series(fz={2019: 18, 2020: 22, 2021: 27, 2022: 33, 2023: 38, 2024: 45, 2025: 52, 2026: 58},
                               noise=0.1),
    # --- aims without a number (000 三(二)7, 002 二(二)2–3, 三(一)3) ---
    # No major group infringement case anywhere: 000 三(二)7 asks that none happen in Gulou.
    "major_group_ip_infringement_cases": Series(fz={2019: 0, 2026: 0}, noise=0.0, weights="enforcement",
                                                licheng={2019: 0, 2026: 0}),
    # Patents firms hold and the share of them put to use (002 二(二)3 不断提高企业专利技术实施率).
    "firm_patents_held": Series(fz={2019: 21_500, 2026: 36_800}, start=19_600, licheng={2019: 930, 2026: 1_480}),
    "firm_patents_implemented": Series(
        fz={}, ratio_of=("firm_patents_held",), factor={2019: 0.52, 2021: 0.56, 2026: 0.63}, jitter=0.02,
    ),
    # 专利产品产值 against 工业产品产值 (万元; 002 二(二)3 比重不断增加).
    "industrial_output_value": Series(
        fz={2019: 95_400_000, 2026: 139_000_000}, weights="gdp", noise=0.01,
        licheng={2019: 4_830_000, 2020: 4_760_000, 2021: 5_310_000, 2026: 6_480_000},
    ),
    "patent_product_output_value": Series(  # ≈ 820–900万元 of output per patent held, so it moves with them
        fz={}, ratio_of=("firm_patents_held",), factor={2019: 820.0, 2026: 900.0}, jitter=0.02,
    ),
    # Key firms and those with a full-time IP specialist (002 三(一)3): coverage approaches but misses 100%.
    "key_firms": Series(fz={2019: 2_640, 2026: 3_920}, licheng={2019: 152, 2021: 171, 2026: 190}),
    "key_firms_with_ip_specialist": Series(
        fz={}, ratio_of=("key_firms",), factor={2019: 0.80, 2021: 0.92, 2026: 0.97}, jitter=0.01,
    ),
    "special_mark_use_registrations": Series(fz={2019: 41, 2026: 68}, weights="rural", noise=0.1,
                                             licheng={2019: 3, 2026: 5}),
}  # fmt: skip

# IP special fund as a share of general budget expenditure (%), by county and year. Gulou averages
# a little over its 0.2% (000_bba6a331b5d2d15d.txt, 三(二)1); Licheng dips under its 0.12% in 2020
# (002_48ad8efa68f5a009.txt, 二(二)1); small rural counties spend a few 万元 a year.
FUND_SHARE: dict[str, dict[int, float]] = {
    "350102": {2019: 0.180, 2020: 0.190, 2021: 0.200, 2022: 0.215, 2023: 0.226, 2024: 0.209, 2025: 0.204, 2026: 0.21},
    LICHENG: {2019: 0.132, 2020: 0.114, 2021: 0.128, 2022: 0.125, 2023: 0.127, 2024: 0.129, 2025: 0.131, 2026: 0.13},
    "350103": {2019: 0.070, 2026: 0.090}, "350104": {2019: 0.110, 2026: 0.140}, "350105": {2019: 0.130, 2026: 0.150},
    "350111": {2019: 0.080, 2026: 0.110}, "350112": {2019: 0.050, 2026: 0.070}, "350121": {2019: 0.120, 2026: 0.150},
    "350122": {2019: 0.012, 2026: 0.020}, "350123": {2019: 0.008, 2026: 0.012}, "350124": {2019: 0.007, 2026: 0.010},
    "350125": {2019: 0.0045, 2026: 0.0052}, "350128": {2019: 0.015, 2026: 0.025}, "350181": {2019: 0.060, 2026: 0.085},
}  # fmt: skip
DEFAULT_FUND_SHARE = {2019: 0.05}
# Licheng's population (万人) and the legacy stock of pre-2010 invention patents still valid at end-2020.
LICHENG_POPULATION = {"population_resident": {2019: 40.12, 2020: 40.43, 2026: 41.2},
                      "population_registered": {2019: 28.61, 2020: 28.74, 2026: 29.3}}  # fmt: skip
LICHENG_LEGACY_2020 = 44
HIGHTECH_WITHOUT_PATENTS = {"default": 0.015, LICHENG: 0.05}  # share of high-tech firms holding no patent
HIGH_VALUE_RATIO_DRIFT = (-0.07, 0.035)  # share of valid inventions that are high-value: 2019 and 2026 vs 2023
LICHENG_HIGH_VALUE_RATIO = 0.30
POP_GROWTH = {  # city population relative to 2020
    "population_resident": {2019: 0.990, 2020: 1.0, 2021: 1.0155, 2022: 1.019, 2023: 1.0215, 2024: 1.0245,
                            2025: 1.027, 2026: 1.029},
    "population_registered": {2019: 0.992, 2020: 1.0, 2021: 1.008, 2022: 1.015, 2023: 1.021, 2024: 1.027,
                              2025: 1.032, 2026: 1.036},
}  # fmt: skip
DEFAULT_SERIES = Series(fz={2019: 100, 2026: 130})

# Bulletin (CNIPA) revisions: share of quarters published identical to the departments' figure,
# and the spread of the others. Seed figures were quoted from the bulletin itself, so they match.
BULLETIN_SAME = 0.5
BULLETIN_SPREAD = {"flow": 0.006, "stock": 0.003}
BULLETIN_EXACT = {
    ("valid_invention_patents", "2020Q4"),  # 001_b5d4a5296c7b0b6a.txt, 表2 row 2
    ("valid_trademarks", "2020Q4"),  # 001_b5d4a5296c7b0b6a.txt, 表2 row 3
    ("valid_trademarks", "2023Q4"),  # 003_e11b5540b9df7916.txt, indicator note 4 (trademark office's quarterly figure)
    ("high_value_invention_patents", "2023Q4"),  # 003_e11b5540b9df7916.txt, indicator note 3 (bulletin figure)
    *(("pledge_financing_amount", f"2023Q{q}") for q in range(1, 5)),  # 003 indicator note 5 (bulletin figure)
}
BULLETIN_FIRST_YEAR = {"pledge_financing_amount": 2021}  # optional row left blank before the bulletin carried it


# --- helpers --------------------------------------------------------------------------------
def _by_year(values: Mapping[int, float], years: list[int], geometric: bool = False) -> np.ndarray:
    """Values for `years`, interpolating (and holding the ends) between the given years.

    `geometric`: at a constant growth rate between two given years (all given values positive).
    """
    if not values:
        return np.zeros(len(years))
    known = sorted(values)
    if geometric:
        return np.exp(np.interp(years, known, [np.log(values[y]) for y in known]))
    return np.interp(years, known, [values[y] for y in known])


def _weights(profile: str, keys: list[tuple[str, str]]) -> np.ndarray:
    """Weights for (department code, region code) pairs from a profile; unknown ones get the mean."""
    table = WEIGHTS.get(profile, {})
    default = table.get("_default", float(np.mean(list(table.values()))) if table else 1.0)
    w = np.array([table.get(dept, table.get(region, default)) for dept, region in keys], dtype=float)
    return w if w.sum() > 0 else np.ones(len(keys))


def _split_flow(totals: np.ndarray, weights: np.ndarray, rng: np.random.Generator, k: float = 900) -> np.ndarray:
    """Split each period's total over the leaves (rows) with noisy shares; columns add up exactly."""
    out = np.zeros((len(weights), len(totals)), dtype=np.int64)
    w = weights / weights.sum()
    positive = w > 0
    for t, total in enumerate(totals):
        shares = np.zeros(len(w))
        shares[positive] = rng.dirichlet(w[positive] * k) if positive.sum() > 1 else 1.0
        out[:, t] = largest_remainder(int(total), shares)
    return out


def _split_stock(levels: np.ndarray, start: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Split a stock path over the leaves: each period's change is shared out, so leaves stay monotone-ish."""
    current = largest_remainder(int(start), weights)
    out = np.zeros((len(weights), len(levels)), dtype=np.int64)
    previous = int(start)
    w = weights / weights.sum()
    for t, level in enumerate(levels):
        delta = int(level) - previous
        if delta > 0:
            current = current + largest_remainder(delta, rng.dirichlet(np.maximum(w, 1e-9) * 400))
        elif delta < 0:
            take = largest_remainder(-delta, current.astype(float) + 1e-9)
            current = current - np.minimum(take, current)
        out[:, t] = current
        previous = int(level)
    return out


def _sequence(levels: np.ndarray, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whole sites in a fixed order: every leaf once (largest weight first), then weighted draws."""
    top = int(levels.max()) if len(levels) else 0
    order = list(np.argsort(-weights, kind="stable")[: int((weights > 0).sum())])
    w = weights / weights.sum()
    while len(order) < top:
        order.append(int(rng.choice(len(w), p=w)))
    order_arr = np.array(order[:top], dtype=np.int64)
    out = np.zeros((len(weights), len(levels)), dtype=np.int64)
    for t, level in enumerate(levels):
        out[:, t] = np.bincount(order_arr[: int(level)], minlength=len(weights))
    return out


def _cap(alloc: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Move any excess over `cap` to the leaves that still have room (totals unchanged)."""
    alloc = alloc.copy()
    excess = np.maximum(alloc - cap, 0)
    alloc -= excess
    spare = int(excess.sum())
    while spare > 0:
        room = np.maximum(cap - alloc, 0)
        if room.sum() == 0:
            break
        add = np.minimum(largest_remainder(spare, room.astype(float)), room)
        alloc += add
        spare -= int(add.sum())
    return alloc


def _to_decimal(value: int, decimals: int) -> Decimal:
    return (Decimal(value) / (Decimal(10) ** decimals)).quantize(Decimal(1).scaleb(-decimals))


# --- the truth: every element for every department, at the element's finest period ---------
@dataclass(frozen=True)
class _Leaf:
    department_code: str
    region_code: str
    level: str


@dataclass
class _Group:
    """Leaves that share one total: a city's counties, a city's customs houses, Gulou's sub-districts."""

    scope: str  # "fuzhou", "licheng", "sub", or "other"
    leaves: list[_Leaf]


@dataclass(frozen=True)
class _Layout:
    """Who reports one element, and at what grain (the finest period type of the forms carrying it)."""

    grain: str
    aggregates: dict[str, list[str]]  # a city department → the county departments it sums
    groups: list[_Group]
    optional: frozenset[str]  # departments whose form row for the element is optional


class _Truth:
    def __init__(self, catalogue: Catalogue, first_year: int, last_year: int, as_of: date) -> None:
        self.cat = catalogue
        self.years = list(range(first_year, last_year + 1))
        self.as_of = as_of
        self.specs = {f["form_code"]: form_spec(catalogue, f["form_code"]) for f in catalogue.rows("forms")}
        self.timeline = {
            "month": [Period.of("month", y, m) for y in self.years for m in range(1, 13)],
            "quarter": [Period.of("quarter", y, q) for y in self.years for q in range(1, 5)],
            "year": [Period.of("year", y) for y in self.years],
        }
        self.index = {kind: {p.code: i for i, p in enumerate(ps)} for kind, ps in self.timeline.items()}
        self._values: dict[str, dict[str, np.ndarray | None]] = {}
        self._stocks: dict[bool, dict[str, np.ndarray]] = {}
        regions = {r["region_code"]: r for r in catalogue.rows("regions")}
        self.parent = {code: r["parent_code"] for code, r in regions.items()}
        self.dept_region = {d["department_code"]: d["region_code"] for d in catalogue.rows("departments")}

    # -- the record-level data behind the patent counts --
    @cached_property
    def records(self) -> pd.DataFrame:
        return rec._cached_records(self.cat, self.as_of)

    @cached_property
    def record_counts(self) -> pd.DataFrame:
        return rec.monthly_counts(self.records)

    def record_stock(self, high_value: bool) -> dict[str, np.ndarray]:
        """Valid (or valid high-value) invention patents per region at each month-end, from the records."""
        if high_value not in self._stocks:
            frame = rec.monthly_stock(self.records, [p.code for p in self.timeline["month"]], high_value)
            self._stocks[high_value] = {str(c): frame.loc[c].to_numpy(dtype=np.int64) for c in frame.index}
        return self._stocks[high_value]

    def city_department(self, element: str) -> str:
        """The Fuzhou department that reports `element` as the sum of its counties."""
        return next(agg for agg in self._structure[element].aggregates if self.dept_region[agg] == FUZHOU)

    def source_department(self, element: str, region: str) -> str | None:
        """Who reports `element` for `region` on a departmental form (what a bulletin is compared with)."""
        for spec in self.specs.values():
            if spec.source_kind == "department" and element in spec.element_codes:
                for d in submitters(self.cat, spec, region):
                    return d["department_code"]
        return None

    # -- structure from the catalogue --
    @cached_property
    def _structure(self) -> dict[str, _Layout]:
        """Every element's layout, read from the forms and their submitters in the catalogue."""
        out = {}
        for element in self.cat.elements:
            carrying = [s for s in self.specs.values() if element in s.element_codes]
            # bulletin forms repeat what departments report; only departmental forms define the leaves
            specs = [s for s in carrying if s.source_kind == "department"] or carrying
            if not specs:
                continue
            grain = min((s.period_type for s in specs), key=_ORDER.__getitem__)
            depts: dict[str, dict[str, str]] = {}
            aggregates: dict[str, list[str]] = {}
            optional: set[str] = set()
            for spec in specs:
                subs = submitters(self.cat, spec)
                for d in subs:
                    depts[d["department_code"]] = d
                    row = spec.row(element)
                    if row is not None and not row.required:
                        optional.add(d["department_code"])
                for d in subs:
                    children = [
                        c["department_code"]
                        for c in subs
                        if self.parent.get(c["region_code"]) == d["region_code"] and c is not d
                    ]
                    if children:
                        aggregates[d["department_code"]] = children
            leaves = [
                _Leaf(code, d["region_code"], d["department_level"])
                for code, d in depts.items()
                if code not in aggregates
            ]
            groups: dict[tuple[str, ...], _Group] = {}
            owner_of = {child: agg for agg, children in aggregates.items() for child in children}
            for leaf in leaves:
                if leaf.department_code in owner_of:
                    owner_region = depts[owner_of[leaf.department_code]]["region_code"]
                    key: tuple[str, ...] = ("agg", owner_region)
                    scope = "fuzhou" if owner_region == FUZHOU else "other"
                elif leaf.level == "subdistrict":
                    key, scope = ("sub", self.parent.get(leaf.region_code, "")), "sub"
                else:
                    kind = depts[leaf.department_code]["department_kind"]
                    key = ("peers", leaf.region_code, kind)
                    scope = {FUZHOU: "fuzhou", LICHENG: "licheng"}.get(leaf.region_code, "other")
                groups.setdefault(key, _Group(scope, []))
                groups[key].leaves.append(leaf)
            out[element] = _Layout(grain, aggregates, list(groups.values()), frozenset(optional))
        return out

    def grain(self, element: str) -> str:
        return self._structure[element].grain

    def decimals(self, element: str) -> int:
        return self.cat.units[self.cat.elements[element].unit_code].decimals

    # -- public lookups --
    def series(self, element: str) -> dict[str, np.ndarray | None]:
        """Department → values at the element's grain, in minor units (10^-decimals), None = not collected."""
        if element not in self._values:
            self._values[element] = self._build(element)
        return self._values[element]

    def value(self, element: str, department: str, period: Period) -> int | None:
        values = self.series(element)[department]
        if values is None:
            return None
        grain = self.grain(element)
        if period.period_type == grain:
            return int(values[self.index[grain][period.code]])
        parts = [self.index[grain][p.code] for p in self._parts(period, grain)]
        if self.cat.elements[element].aggregation == "flow":
            return int(values[parts].sum())
        return int(values[parts[-1]])

    def _parts(self, period: Period, grain: str) -> list[Period]:
        if grain == "month":
            return period.months()
        return [Period.of("quarter", period.year, q) for q in range(1, 5)] if period.period_type == "year" else [period]

    # -- building --
    def _build(self, element: str) -> dict[str, np.ndarray | None]:
        layout = self._structure[element]
        special = _SPECIAL.get(element)
        out: dict[str, np.ndarray | None] = {}
        for group in layout.groups:
            arrays = special(self, element, group) if special else self._generic(element, group)
            for leaf, array in zip(group.leaves, arrays, strict=True):
                out[leaf.department_code] = array
        aggregation = self.cat.elements[element].aggregation
        for agg, children in layout.aggregates.items():
            if aggregation == "rate":
                out[agg] = self._rate_path(element, SERIES.get(element, DEFAULT_SERIES).fz)
            else:
                out[agg] = np.sum([out[c] for c in children], axis=0)
        if aggregation == "rate":  # surveyed city-wide: other departments leave an optional row blank
            for dept in layout.optional - set(layout.aggregates):
                out[dept] = None
        return out

    def _minor(self, element: str, values: np.ndarray) -> np.ndarray:
        return np.round(np.asarray(values, dtype=float) * 10 ** self.decimals(element)).astype(np.int64)

    def _year_values(self, element: str, series: Series, table: Mapping[int, float], scope_key: str) -> np.ndarray:
        """Yearly values (minor units) with noise on the years that are not seed figures."""
        base = _by_year(table, self.years, series.geometric)
        if self.cat.elements[element].aggregation == "flow" and series.noise > 0:
            rng = _rng("year-noise", element, scope_key)
            noise = np.exp(rng.normal(0, series.noise, len(self.years)))
            exact = (
                np.isin(self.years, list(series.exact)) if scope_key == "fuzhou" else np.zeros(len(self.years), bool)
            )
            base = np.where(exact, base, base * noise)
        return self._minor(element, base)

    def _rate_path(self, element: str, table: Mapping[int, float]) -> np.ndarray:
        """A rate at the grain: the year's value repeated (rates are annual)."""
        return self._per_year(element, self._minor(element, _by_year(table, self.years)))

    def _per_year(self, element: str, yearly: np.ndarray) -> np.ndarray:
        """A year-end figure repeated over the year's periods at the element's grain."""
        return np.repeat(yearly, {"month": 12, "quarter": 4, "year": 1}[self.grain(element)])

    def _from_months(self, element: str, monthly: np.ndarray) -> np.ndarray:
        """Monthly figures at the element's grain: flows summed, stocks at the period end."""
        per = {"month": 1, "quarter": 3, "year": 12}[self.grain(element)]
        blocks = np.asarray(monthly).reshape(-1, per)
        return blocks.sum(axis=1) if self.cat.elements[element].aggregation == "flow" else blocks[:, -1]

    def _flow_path(self, element: str, yearly: np.ndarray, season: str, key: str) -> np.ndarray:
        grain = self.grain(element)
        if grain == "year":
            return yearly
        weights = np.array(SEASONS.get(season, SEASONS["flat"])[grain])
        rng = _rng("season", element, key)
        out = []
        for total in yearly:
            out.append(largest_remainder(int(total), rng.dirichlet(weights / weights.sum() * 300)))
        return np.concatenate(out)

    def _stock_path(self, element: str, yearly: np.ndarray, start: int, key: str) -> np.ndarray:
        grain = self.grain(element)
        if grain == "year":
            return yearly
        per_year = {"month": 12, "quarter": 4}[grain]
        rng = _rng("stock-path", element, key)
        out = []
        previous = start
        for level in yearly:
            steps = np.cumsum(rng.dirichlet(np.full(per_year, 6.0)))
            steps[-1] = 1.0
            out.append(previous + np.round((int(level) - previous) * steps).astype(np.int64))
            previous = int(level)
        return np.concatenate(out)

    def _scope_table(self, series: Series, scope: str, n_leaves: int) -> Mapping[int, float]:
        if scope == "fuzhou":
            return series.fz
        if scope == "licheng":
            if series.licheng is not None:
                return series.licheng
            return {y: v * LICHENG_SCALE.get(series.weights, 0.03) for y, v in series.fz.items()}
        if scope == "sub":
            per_office = series.sub if series.sub is not None else {y: v * 0.005 for y, v in series.fz.items()}
            return {y: v * n_leaves for y, v in per_office.items()}
        return {y: v * rec.OWN_SERIES_DEFAULT_SCALE for y, v in series.fz.items()}

    def _keys(self, group: _Group) -> list[tuple[str, str]]:
        return [(leaf.department_code, leaf.region_code) for leaf in group.leaves]

    def _generic(self, element: str, group: _Group) -> list[np.ndarray]:
        series = SERIES.get(element, DEFAULT_SERIES)
        aggregation = self.cat.elements[element].aggregation
        key = f"{group.scope}:{group.leaves[0].department_code}"
        if series.ratio_of:
            return self._ratio(element, series, group)
        table = self._scope_table(series, group.scope, len(group.leaves))
        if aggregation == "rate":
            return [self._rate_path(element, series.fz) for _ in group.leaves]
        yearly = self._year_values(element, series, table, group.scope)
        weights = _weights(series.weights if group.scope != "sub" else "equal", self._keys(group))
        if group.scope == "sub":  # sub-district offices differ in how active they are
            weights = weights * np.exp(_rng("sub-activity", group.leaves[0].region_code).normal(0, 0.35, len(weights)))
        rng = _rng("split", element, key)
        if aggregation == "flow":
            path = self._flow_path(element, yearly, series.season, key)
            toward = self._toward_pins(element, series, group)
            if toward:
                parts = self._pinned_flow(path, toward, weights, rng)
            else:
                parts = _split_flow(path, weights, rng) if len(group.leaves) > 1 else path[None, :]
        else:
            first = self._start(element, series, table, group.scope, yearly)
            path = self._stock_path(element, yearly, first, key)
            if series.share_of:
                parts = self._share_of(element, series, group, path)
            elif series.seq:
                parts = _sequence(path, weights, _rng("sequence", series.weights, key))
            elif series.pins and group.scope == "fuzhou":
                parts = self._pinned(element, series, group, path, first, weights, rng)
            elif len(group.leaves) > 1:
                parts = _split_stock(path, first, weights, rng)
            else:
                parts = path[None, :]
        if series.plus:
            base = self.series(series.plus)
            parts = parts + np.stack([base[leaf.department_code] for leaf in group.leaves])  # type: ignore[misc]
        return list(parts)

    def _toward_pins(self, element: str, series: Series, group: _Group) -> dict[int, np.ndarray]:
        """Leaves whose flow heads for their own plan target (trajectories.REACH): leaf index → path."""
        out = {}
        if group.scope != "fuzhou":
            return out
        for i, leaf in enumerate(group.leaves):
            toward = trajectories.REACH.get(f"{element}@{leaf.region_code}")
            if toward is not None:
                table = trajectories.yearly_path(self.cat, element, toward, self.years)
                yearly = self._year_values(element, series, table, f"pin:{leaf.region_code}")
                out[i] = self._flow_path(element, yearly, series.season, f"pin:{leaf.department_code}")
        return out

    @staticmethod
    def _pinned_flow(
        path: np.ndarray, pins: dict[int, np.ndarray], weights: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Pinned leaves take their own flow; the others share what is left of the total."""
        out = np.zeros((len(weights), len(path)), dtype=np.int64)
        free = np.ones(len(weights), dtype=bool)
        for i, values in pins.items():
            out[i], free[i] = values, False
        rest = np.maximum(path - out[~free].sum(axis=0), 0)
        out[free] = _split_flow(rest, weights[free], rng) if free.sum() > 1 else rest[None, :]
        return out

    def _start(self, element: str, series: Series, table: Mapping[int, float], scope: str, yearly: np.ndarray) -> int:
        """The stock at the end of the year before the first: given, or extrapolated back one year."""
        before = self.years[0] - 1
        if before in table:
            return int(self._minor(element, [table[before]])[0])
        if scope == "fuzhou" and series.start is not None:
            return int(self._minor(element, [series.start])[0])
        if len(yearly) < 2:
            return int(yearly[0])
        return max(0, int(yearly[0] - max(yearly[1] - yearly[0], 0)))

    def _ratio(self, element: str, series: Series, group: _Group) -> list[np.ndarray]:
        grain = self.grain(element)
        base = [self._sum_at_grain(series.ratio_of, leaf.department_code, grain) for leaf in group.leaves]
        factor = _by_year(series.factor or {self.years[0]: 1.0}, [p.year for p in self.timeline[grain]])
        scale = 10 ** (self.decimals(element) - max(self.decimals(b) for b in series.ratio_of))
        out = []
        for leaf, b in zip(group.leaves, base, strict=True):
            rng = _rng("ratio", element, leaf.department_code)
            jitter = np.exp(rng.normal(0, series.jitter, len(b))) if series.jitter else 1.0
            value = np.round(b * factor * jitter * scale).astype(np.int64)
            if self.cat.elements[element].value_type == "integer":  # something happened, so at least one
                value = np.where((b > 0) & (value == 0), 1, value)
            if element in _NOT_ABOVE_BASE:
                value = np.minimum(value, b * scale)
            out.append(value)
        return out

    def _sum_at_grain(self, elements: tuple[str, ...], department: str, grain: str) -> np.ndarray:
        """Σ of other elements' values for one department, at `grain` (minor units)."""
        total = np.zeros(len(self.timeline[grain]), dtype=np.int64)
        for element in elements:
            values = self.series(element)[department]
            assert values is not None, f"{element} is not collected from {department}"
            if self.grain(element) != grain:
                values = np.array([self.value(element, department, p) for p in self.timeline[grain]], dtype=np.int64)
            total += values
        return total

    def _share_of(self, element: str, series: Series, group: _Group, path: np.ndarray) -> np.ndarray:
        """Split the city total in proportion to other elements (distinct firms ∝ titles held)."""
        grain = self.grain(element)
        basis = np.stack([self._sum_at_grain(series.share_of, leaf.department_code, grain) for leaf in group.leaves])
        out = np.zeros_like(basis)
        for t in range(basis.shape[1]):
            out[:, t] = largest_remainder(int(path[t]), basis[:, t].astype(float) + 1e-9)
        return out

    def _pinned(
        self,
        element: str,
        series: Series,
        group: _Group,
        path: np.ndarray,
        first: int,
        weights: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Some counties follow their own path (Gulou's plan targets); the others share the rest."""
        out = np.zeros((len(group.leaves), len(path)), dtype=np.int64)
        pinned = np.zeros(len(group.leaves), dtype=bool)
        pinned_start = 0
        for i, leaf in enumerate(group.leaves):
            table = series.pins.get(leaf.region_code)
            if table is None:
                continue
            pinned[i] = True
            start = int(self._minor(element, _by_year(table, [self.years[0] - 1]))[0])
            yearly = self._minor(element, _by_year(table, self.years))
            out[i] = self._stock_path(element, yearly, start, f"pin:{leaf.region_code}")
            pinned_start += start
        rest = path - out[pinned].sum(axis=0)
        out[~pinned] = _split_stock(rest, first - pinned_start, weights[~pinned], rng)
        return out


_NOT_ABOVE_BASE = {"court_ip_cases_closed", "pledge_firms"}  # closed ≤ accepted; firms ≤ loans


# --- elements with their own logic ----------------------------------------------------------
def _records_counts(truth: _Truth, element: str, group: _Group) -> list[np.ndarray]:
    counts = truth.record_counts
    months = [p.code for p in truth.timeline["month"]]
    out = []
    for leaf in group.leaves:
        if leaf.region_code in counts.index.get_level_values(0):
            series = counts.loc[leaf.region_code, element].reindex(months, fill_value=0)
            out.append(truth._from_months(element, series.to_numpy(dtype=np.int64)))
        else:
            out.append(truth._from_months(element, np.zeros(len(months), dtype=np.int64)))
    return out


def _legacy(l0: int, months: list[Period]) -> np.ndarray:
    """Pre-2010 patents still valid: l0 at end-2020, decaying both ways in time."""
    t = np.array([(p.year - 2020) * 12 + p.start.month - 12 for p in months]) / 12.0
    return trajectories.legacy(l0, t)


def _valid_invention(truth: _Truth, element: str, group: _Group) -> list[np.ndarray]:
    months = truth.timeline["month"]
    stock = truth.record_stock(False)
    codes = [leaf.region_code for leaf in group.leaves]
    from_records = np.stack([stock.get(c, np.zeros(len(months), dtype=np.int64)) for c in codes])
    if group.scope == "fuzhou":
        anchor = truth.index["month"]["2020-12"]
        l0 = SEED_2020_VALID_INVENTION - int(from_records[:, anchor].sum())
        assert l0 >= 0, "records already exceed the 2020 seed figure; lower the invention grant rate"
    else:
        l0 = LICHENG_LEGACY_2020 if group.scope == "licheng" else 0
    legacy_total = _legacy(l0, months)
    shares = from_records[:, truth.index["month"]["2020-12"]].astype(float) + 1.0
    legacy = np.stack([largest_remainder(int(v), shares) for v in legacy_total], axis=1)
    return [truth._from_months(element, row) for row in from_records + legacy]


def _high_value(truth: _Truth, element: str, group: _Group) -> list[np.ndarray]:
    months = truth.timeline["month"]
    if truth.grain("valid_invention_patents") != "month":
        raise ValueError("high-value invention patents follow the monthly valid stock")
    valid = np.stack([truth.series("valid_invention_patents")[leaf.department_code] for leaf in group.leaves])
    city_valid = valid.sum(axis=0)
    t = np.array([p.year + (p.start.month - 1) / 12 for p in months])
    if group.scope == "fuzhou":
        anchor = truth.index["month"]["2023-12"]
        resident = truth.value(
            "population_resident", truth.city_department("population_resident"), Period.of("year", 2023)
        )
        assert resident is not None
        target = round(SEED_2023_HIGH_VALUE_PER_10K * resident / 10 ** truth.decimals("population_resident"))
        r_star = target / city_valid[anchor]
        ratio = np.interp(
            t,
            [2019.0, 2023 + 11 / 12, 2026 + 11 / 12],
            [r_star + HIGH_VALUE_RATIO_DRIFT[0], r_star, r_star + HIGH_VALUE_RATIO_DRIFT[1]],
        )
        total = np.round(city_valid * ratio).astype(np.int64)
        total[anchor] = target
    else:
        ratio = np.interp(t, [2019.0, 2027.0], [LICHENG_HIGH_VALUE_RATIO - 0.05, LICHENG_HIGH_VALUE_RATIO + 0.04])
        total = np.round(city_valid * ratio).astype(np.int64)
    stock = truth.record_stock(True)
    weights = (
        np.stack([stock.get(leaf.region_code, np.zeros(len(months))) for leaf in group.leaves]).astype(float) + 0.5
    )
    out = np.zeros_like(valid)
    for m in range(len(months)):
        out[:, m] = _cap(largest_remainder(int(total[m]), weights[:, m]), valid[:, m])
    return list(out)


def _hightech(truth: _Truth, element: str, group: _Group) -> list[np.ndarray]:
    counts = rec.hightech_firms_to_date(truth.records, truth.years)
    out = []
    for leaf in group.leaves:
        have = (
            counts.loc[leaf.region_code].to_numpy() if leaf.region_code in counts.index else np.zeros(len(truth.years))
        )
        missing = HIGHTECH_WITHOUT_PATENTS.get(leaf.region_code, HIGHTECH_WITHOUT_PATENTS["default"])
        out.append(truth._per_year(element, np.ceil(have / (1 - missing)).astype(np.int64)))
    return out


def _trademarks(truth: _Truth, element: str, group: _Group) -> list[np.ndarray]:
    """Registrations and the valid stock together: stock = start + Σ registrations − Σ lapses."""
    reg_series, valid_series = SERIES["trademark_registrations"], SERIES["valid_trademarks"]
    n = len(group.leaves)
    keys = truth._keys(group)
    weights = _weights(reg_series.weights, keys)
    key = f"{group.scope}:{group.leaves[0].department_code}"
    reg_year = truth._year_values(
        "trademark_registrations", reg_series, truth._scope_table(reg_series, group.scope, n), group.scope
    )
    valid_table = truth._scope_table(valid_series, group.scope, n)
    valid_year = truth._minor("valid_trademarks", _by_year(valid_table, truth.years))
    if group.scope == "fuzhou" and valid_series.start is not None:
        start = int(truth._minor("valid_trademarks", [valid_series.start])[0])
    else:
        start = int(truth._minor("valid_trademarks", _by_year(valid_table, [truth.years[0] - 1]))[0] * 0.92)
    grain = truth.grain("valid_trademarks")
    reg = truth._flow_path("trademark_registrations", reg_year, reg_series.season, key)
    net_year = np.diff(np.r_[start, valid_year])
    lapse_year = np.maximum(reg_year - net_year, 0)
    lapse = truth._flow_path("valid_trademarks", lapse_year, "flat", key + ":lapse")
    if truth.grain("trademark_registrations") != grain:
        raise ValueError("trademark registrations and valid trademarks must share a period type")
    rng = _rng("trademarks", key)
    if n > 1:
        reg_parts = _split_flow(reg, weights, rng)
        start_parts = largest_remainder(start, weights)
        lapse_parts = np.zeros_like(reg_parts)
        stock = start_parts.copy()
        for t in range(len(reg)):
            lapse_parts[:, t] = np.minimum(largest_remainder(int(lapse[t]), stock.astype(float) + 1e-9), stock)
            stock = stock + reg_parts[:, t] - lapse_parts[:, t]
        valid_parts = start_parts[:, None] + np.cumsum(reg_parts - lapse_parts, axis=1)
    else:
        reg_parts = reg[None, :]
        valid_parts = start + np.cumsum(reg - lapse)[None, :]
    return list(reg_parts if element == "trademark_registrations" else valid_parts)


def _finance(truth: _Truth, element: str, group: _Group) -> list[np.ndarray]:
    expenditure = truth.series("general_budget_expenditure")
    grain = truth.grain(element)
    years = np.array([p.year for p in truth.timeline[grain]])
    out = []
    for leaf in group.leaves:
        pct = _by_year(FUND_SHARE.get(leaf.region_code, DEFAULT_FUND_SHARE), list(years))
        noise = np.exp(_rng("fund", leaf.department_code).normal(0, 0.02, len(years)))
        spend = expenditure[leaf.department_code]
        assert spend is not None
        out.append(np.round(spend * pct / 100 * noise).astype(np.int64))
    return out


def _population(truth: _Truth, element: str, group: _Group) -> list[np.ndarray]:
    grain = truth.grain(element)
    years = [p.year for p in truth.timeline[grain]]
    if group.scope == "fuzhou":
        keys = truth._keys(group)
        resident = _weights("resident", keys)
        weights = resident * (_weights("registered_ratio", keys) if element == "population_registered" else 1.0)
        base = SEED_2020_REGISTERED_POP if element == "population_registered" else RESIDENT_POP_2020
        growth = _by_year(POP_GROWTH[element], years)
        totals = truth._minor(element, base * growth)
        anchor = years.index(2020) if 2020 in years else None
        if anchor is not None:  # the seed's denominator, exactly
            totals[anchor] = truth._minor(element, [base])[0]
            if element == "population_registered":
                per_10k = Decimal(SEED_2020_VALID_INVENTION) / Decimal(str(base))  # pop in 万人: ÷ 10⁴ × 10⁴
                assert round(per_10k, 3) == SEED_2020_PER_10K, "registered population no longer gives 23.377"
        drift = np.exp(_rng("pop-drift", element).normal(0, 0.004, len(weights)))
        out = np.zeros((len(weights), len(years)), dtype=np.int64)
        for t, year in enumerate(years):
            out[:, t] = largest_remainder(int(totals[t]), weights * drift ** (year - 2020))
        return list(out)
    table = LICHENG_POPULATION[element] if group.scope == "licheng" else {2019: 30.0}
    return [truth._minor(element, _by_year(table, years)) for _ in group.leaves]


_SPECIAL = {
    **dict.fromkeys(rec.RECORD_COUNTS, _records_counts),
    "valid_invention_patents": _valid_invention,
    "high_value_invention_patents": _high_value,
    "hightech_firms": _hightech,
    "trademark_registrations": _trademarks,
    "valid_trademarks": _trademarks,
    "ip_special_fund": _finance,
    "population_resident": _population,
    "population_registered": _population,
}


# --- submissions ----------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoSubmission:
    """One filled form as a department would send it (values in the element's catalogue unit)."""

    form_code: str
    department_code: str
    region_code: str
    period: Period
    values: dict[str, Decimal | str | None]
    received_on: date
    version_note: str | None = None


def ended_periods(period_type: str, first_month: Period, cutoff: date) -> list[Period]:
    """Periods of `period_type` from the one holding `first_month` whose last day is on or before `cutoff`."""
    start = first_month.start
    number = {"month": start.month, "quarter": (start.month + 2) // 3, "year": 1}[period_type]
    period = Period.of(period_type, start.year, number)
    out = []
    while period.end <= cutoff:
        out.append(period)
        period = period.next()
    return out


def received_on(form_code: str, department_code: str, period: Period, due_days: int) -> date:
    """A working day after the period ends and on or before the due date; each department has its habits."""
    habit = float(_rng("habit", department_code).beta(4, 2))  # most file in the last third of the window
    rng = _rng("received", form_code, department_code, period.code)
    earliest = period.end + timedelta(days=max(1, round(due_days * 0.25)))
    window = [earliest + timedelta(days=k) for k in range((period.due(due_days) - earliest).days + 1)]
    workdays = [d for d in window if d.weekday() < 5] or window
    fraction = min(1.0, max(0.0, habit + rng.normal(0, 0.18)))
    return workdays[round(fraction * (len(workdays) - 1))]


def _bulletin_values(truth: _Truth, spec: FormSpec, region: str, period: Period) -> dict[str, Decimal | str | None]:
    """What CNIPA published for the city: the departments' figures with small revisions."""
    values: dict[str, Decimal | str | None] = {}
    for row in spec.rows:
        element = row.element.code
        source = truth.source_department(element, region)
        raw = truth.value(element, source, period) if source else None
        if raw is None or (not row.required and period.year < BULLETIN_FIRST_YEAR.get(element, 0)):
            values[element] = None
            continue
        rng = _rng("bulletin", element, period.code)
        if (element, period.code) not in BULLETIN_EXACT and rng.random() >= BULLETIN_SAME:
            spread = BULLETIN_SPREAD["flow" if row.element.aggregation == "flow" else "stock"]
            raw = max(0, round(raw * (1 + float(np.clip(rng.normal(0, spread), -2.5 * spread, 2.5 * spread)))))
        values[element] = _to_decimal(raw, row.unit.decimals)
    if "high_value_invention_patents" in values and "valid_invention_patents" in values:
        hv, valid = values["high_value_invention_patents"], values["valid_invention_patents"]
        if isinstance(hv, Decimal) and isinstance(valid, Decimal) and hv > valid:
            values["high_value_invention_patents"] = valid
    return values


def _clean_submissions(truth: _Truth, first: Period, cutoff: date) -> list[DemoSubmission]:
    out = []
    for form in truth.cat.rows("forms"):
        spec = truth.specs[form["form_code"]]
        periods = ended_periods(spec.period_type, first, cutoff)
        for dept in submitters(truth.cat, spec):
            code, region = dept["department_code"], dept["region_code"]
            for period in periods:
                if spec.source_kind == "department":
                    values: dict[str, Decimal | str | None] = {}
                    for row in spec.rows:
                        raw = truth.value(row.element.code, code, period)
                        values[row.element.code] = None if raw is None else _to_decimal(raw, row.unit.decimals)
                else:
                    values = _bulletin_values(truth, spec, region, period)
                when = received_on(spec.code, code, period, spec.due_days)
                out.append(DemoSubmission(spec.code, code, region, period, values, when))
    return out


_BUILDS: dict[tuple[str, str, str], tuple[list[DemoSubmission], list[dict[str, object]]]] = {}


def _build(catalogue: Catalogue, first_month: str, last_month: str) -> tuple[list[DemoSubmission], list[dict]]:
    """Clean figures, then the planted defects; cached per process (catalogue folder and range)."""
    from sources.demo import defects  # defects works on the submissions built here

    key = (str(catalogue.seeds_dir), first_month, last_month)
    if key not in _BUILDS:
        first = Period.parse(first_month, "month")
        cutoff = Period.parse(last_month, "month").end
        # a fixed span, so that a period's figures do not depend on the range asked for
        truth = _Truth(catalogue, min(first.year, SPAN[0]), max(cutoff.year, SPAN[1]), cutoff)
        clean = _clean_submissions(truth, first, cutoff)
        _BUILDS[key] = defects.plant(catalogue, truth, clean)
    return _BUILDS[key]


def demo_submissions(
    catalogue: Catalogue, first_month: str = "2019-01", last_month: str = "2026-10"
) -> list[DemoSubmission]:
    """Every submitting department's forms for every period ended by the end of `last_month`.

    Sorted by the day they arrive. Includes the planted defects (see `demo_defects`): one late and
    one missing 2026Q3 form, a figure in 元 instead of 万元, a corrected resubmission, a rejected file.
    """
    subs, _ = _build(catalogue, first_month, last_month)
    return [replace(s, values=dict(s.values)) for s in subs]  # callers may edit values; the cache stays intact


def demo_defects(catalogue: Catalogue) -> list[dict[str, object]]:
    """The planted defects: kind, form, department, period, element, what is wrong, what should catch it."""
    _, planted = _build(catalogue, "2019-01", "2026-10")
    return [dict(d) for d in planted]


def clear_cache() -> None:
    """Forget generated figures and records (tests use it to prove that generation is deterministic)."""
    _BUILDS.clear()
    rec._CACHE.clear()
