"""Record-level patent data for the demo: one row per application, January 2010 up to `as_of`.

Synthetic but shaped like a CNIPA extract for Fuzhou's counties and Licheng: application numbers
with check digits, applicants drawn from firm/university/individual pools with a heavy tail (so a
few firms hold many patents and "firms with ≥ 3 grants" is meaningful), agencies, grant lags,
rejections, lapses and patent terms. Everything is vectorised and seeded, so the same call always
returns the same frame. The forms' application and grant counts are aggregates of these rows
(`monthly_counts`), which makes the records the ground truth that the IP offices report from.

Generation first draws the latent history up to a fixed horizon and then masks it at `as_of`, so
an earlier `as_of` shows the same applications in an earlier state, never different ones.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import duckdb
import numpy as np
import pandas as pd

from sources.catalogue import Catalogue
from sources.demo import trajectories
from sources.intake.raw_schema import ensure_raw_schema

SEED = 350100
FIRST_YEAR = 2010  # early enough that the stock of valid invention patents in 2019–2020 is built up
HORIZON = date(2026, 12, 31)
PATENT_TYPES = ("invention", "utility", "design")
APPLICANT_TYPES = ("firm", "university", "institute", "individual", "public_body")
_STATUSES = ("pending", "valid", "rejected", "withdrawn", "lapsed")
TYPE_DIGIT = np.array([1, 2, 3])  # CNIPA application numbers: 1 invention, 2 utility model, 3 design

# --- volumes --------------------------------------------------------------------------------
# Fuzhou (whole city) applications a year: (all types, invention). The five-year sums match the
# seed: 001_b5d4a5296c7b0b6a.txt, 一(一)3 gives 十三五 (2016–2020) 148,711 applications of which
# 51,632 invention, up 186.26% / 179.45% on 十二五, so 十二五 (2011–2015) ≈ 51,954 / 18,476.
FUZHOU_APPLICATIONS: dict[int, tuple[int, int]] = {
    2010: (8_200, 2_300),
    2011: (8_600, 2_600),
    2012: (9_600, 3_100),
    2013: (10_200, 3_600),
    2014: (10_500, 4_100),
    2015: (13_054, 5_076),
    2016: (20_500, 7_900),
    2017: (26_300, 10_200),
    2018: (31_800, 10_900),
    2019: (32_900, 10_600),
    2020: (37_211, 12_032),
    # 十四五: growth slows after the 2021 crackdown on abnormal (subsidy-driven) filings, and invention
    # filings level off: with them the valid stock heads for 001 表2 row 2's 23,000 (trajectories.py).
    2021: (40_500, 12_600),
    2022: (37_800, 12_000),
    2023: (36_200, 11_700),
    2024: (38_100, 12_100),
    2025: (40_300, 12_500),
    2026: (42_000, 12_900),
}
# Licheng: a small old-town district (shoes, garments, crafts), design-heavy. Applications grow
# about 12%/yr from 2017 to 2021, short of the +15%/yr target in 002_48ad8efa68f5a009.txt, 二(二)2.
LICHENG_APPLICATIONS: dict[int, int] = {
    2010: 760,
    2011: 880,
    2012: 1_010,
    2013: 1_150,
    2014: 1_300,
    2015: 1_480,
    2016: 1_700,
    2017: 1_950,
    2018: 2_240,
    2019: 2_520,
    2020: 2_790,
    2021: 3_090,
    2022: 2_950,
    2023: 2_880,
    2024: 3_010,
    2025: 3_120,
    2026: 3_200,
}
LICHENG_MIX = (0.085, 0.47, 0.445)  # invention, utility, design
OWN_SERIES: dict[str, tuple[dict[int, int], tuple[float, float, float]]] = {
    "350502": (LICHENG_APPLICATIONS, LICHENG_MIX)
}


@dataclass(frozen=True)
class RegionProfile:
    """How one county files: its share of the city's filings and the make-up of its applicants."""

    share: float  # of the city's applications (before the per-type tilt)
    invention_tilt: float = 1.0
    design_tilt: float = 1.0
    university_factor: float = 0.3  # scales the university share of applicants
    universities: int = 0
    institutes: int = 0
    public_bodies: int = 12
    agency_share: float = 0.86  # of firm filings; other applicant types are scaled from it
    pct_factor: float = 1.0
    hightech_base: float = 0.10
    firms_per_filing: float = 1.0  # size of the firm pool per firm filing a year (at the peak year)
    zipf: float = 1.15
    ipc_bias: tuple[tuple[str, float], ...] = ()


# County profiles (parameters, not seed figures): urban cores, the high-tech zone and university
# town (闽侯) and 福清 file most; 罗源/闽清/永泰/平潭 little. Positional: share, invention_tilt,
# design_tilt, university_factor. Gulou's share and tilt put its grants a little above 3,500 a year,
# its firms with ≥ 3 grants near 150 and its valid invention patents near, but short of, 95 per 10k
# by mid-2025 (000_bba6a331b5d2d15d.txt, 三(二)2): the universities and institutes of the old town.
PROFILES: dict[str, RegionProfile] = {
    "350102": RegionProfile(0.140, 1.9, 0.9, 1.2, universities=3, institutes=4, public_bodies=30, agency_share=0.95,
                            pct_factor=0.55, hightech_base=0.16),  # 鼓楼
    "350103": RegionProfile(0.045, 0.90, 1.2, 0.3, universities=1, institutes=1, public_bodies=15, agency_share=0.905,
                            pct_factor=0.6, hightech_base=0.10),  # 台江
    "350104": RegionProfile(0.135, 1.10, 1.0, 1.3, universities=4, institutes=2, public_bodies=25, agency_share=0.905,
                            pct_factor=0.9, hightech_base=0.12),  # 仓山
    "350105": RegionProfile(0.075, 1.10, 0.8, 0.5, universities=1, institutes=1, public_bodies=10, agency_share=0.915,
                            pct_factor=1.2, hightech_base=0.15),  # 马尾
    "350111": RegionProfile(0.105, 1.00, 1.0, 0.6, universities=2, institutes=1, public_bodies=20, agency_share=0.895,
                            pct_factor=0.9, hightech_base=0.11),  # 晋安
    "350112": RegionProfile(0.085, 0.80, 1.1, 0.4, universities=1, public_bodies=12, agency_share=0.885,
                            pct_factor=0.8, hightech_base=0.09, ipc_bias=(("D01F", 4), ("D04B", 3))),  # 长乐
    "350121": RegionProfile(0.150, 1.35, 0.8, 2.6, universities=8, institutes=2, public_bodies=18, agency_share=0.915,
                            pct_factor=1.1, hightech_base=0.14),  # 闽侯
    "350122": RegionProfile(0.045, 0.60, 1.1, 0.0, public_bodies=10, agency_share=0.855, pct_factor=0.4,
                            hightech_base=0.07, ipc_bias=(("A23L", 4), ("A01K", 3))),  # 连江
    "350123": RegionProfile(0.020, 0.60, 1.0, 0.0, public_bodies=6, agency_share=0.835, pct_factor=0.3,
                            hightech_base=0.06),  # 罗源
    "350124": RegionProfile(0.020, 0.55, 1.3, 0.0, public_bodies=6, agency_share=0.835, pct_factor=0.3,
                            hightech_base=0.06, ipc_bias=(("C04B", 4),)),  # 闽清 (ceramics)
    "350125": RegionProfile(0.015, 0.55, 1.2, 0.0, public_bodies=6, agency_share=0.825, pct_factor=0.3,
                            hightech_base=0.05),  # 永泰
    "350128": RegionProfile(0.020, 0.70, 1.0, 0.3, universities=1, public_bodies=6, agency_share=0.855,
                            pct_factor=0.5, hightech_base=0.07),  # 平潭
    "350181": RegionProfile(0.145, 0.75, 1.1, 0.3, universities=1, public_bodies=20, agency_share=0.885,
                            pct_factor=0.9, hightech_base=0.09, ipc_bias=(("D01F", 4), ("C03C", 3))),  # 福清
    # 鲤城: own series; agency share near its 80% target (002_48ad8efa68f5a009.txt, 二(二)5)
    "350502": RegionProfile(0.0, universities=1, public_bodies=8, agency_share=0.875, pct_factor=0.5,
                            hightech_base=0.08, ipc_bias=(("A43B", 8), ("A41D", 4), ("D04B", 3))),
}  # fmt: skip
DEFAULT_PROFILE = RegionProfile(0.02)
OWN_SERIES_DEFAULT_SCALE = 0.02  # a region outside Fuzhou with no parameters files 2% of Fuzhou's volume

# Month weights: the Spring Festival dip, the National Day dip and the year-end rush.
SEASON = np.array([0.078, 0.058, 0.086, 0.080, 0.083, 0.088, 0.083, 0.081, 0.085, 0.070, 0.090, 0.118])

# Applicant mix by patent type (firm, university, institute, individual, public body).
APPLICANT_MIX = np.array(
    [
        [0.64, 0.18, 0.06, 0.08, 0.04],
        [0.80, 0.06, 0.02, 0.10, 0.02],
        [0.64, 0.02, 0.00, 0.34, 0.00],
    ]
)

# Examination: grant probability and median months to a decision, by application year. Calibrated
# so that grants in 2016–2020 come to about 84,377, 14,813 of them inventions (001_b5d4a5296c7b0b6a.txt,
# 一(一)3); utility grant rates dip in 2021–2022 with the crackdown on abnormal filings, and invention
# grant rates fall with stricter examination, so that about 4,000–5,000 inventions are granted a year.
_YEARS = np.arange(FIRST_YEAR, HORIZON.year + 1)
GRANT_RATE = np.stack(
    [
        np.interp(_YEARS, [2010, 2013, 2017, 2018, 2021, 2026], [0.52, 0.43, 0.40, 0.38, 0.32, 0.34]),
        np.interp(_YEARS, [2010, 2016, 2020, 2021, 2022, 2023, 2026], [0.84, 0.81, 0.77, 0.70, 0.70, 0.76, 0.78]),
        np.interp(_YEARS, [2010, 2020, 2021, 2022, 2023, 2026], [0.82, 0.79, 0.76, 0.76, 0.80, 0.81]),
    ]
)
GRANT_MONTHS = np.stack(
    [
        np.interp(_YEARS, [2010, 2018, 2022, 2026], [30.0, 27.0, 19.0, 16.0]),
        np.interp(_YEARS, [2010, 2020, 2026], [8.0, 6.5, 5.0]),
        np.interp(_YEARS, [2010, 2020, 2026], [5.5, 4.5, 3.5]),
    ]
)
REFUSE_MONTHS = np.array([30.0, 9.0, 6.0])
MIN_DAYS = np.array([200, 75, 60])
WITHDRAWN_SHARE = np.array([0.40, 0.30, 0.35])  # of applications not granted: withdrawn rather than rejected
# Yearly hazard of letting a granted patent lapse (unpaid annual fee), by patent and applicant type.
# With these the records hold about 14,800 valid Fuzhou invention patents at end-2020, under the
# seed's 17,159 (001 表2 row 2); the rest are pre-2010 filings, which figures.py adds as a legacy stock.
# From 2021 `_cull` adds the lapses that keep the stock on its path to 001's 23,000 (trajectories.py).
LAPSE_HAZARD = np.array(
    [
        [0.085, 0.140, 0.090, 0.250, 0.090],
        [0.150, 0.220, 0.150, 0.300, 0.150],
        [0.180, 0.250, 0.180, 0.300, 0.180],
    ]
)

# Main IPC subclasses (designs carry a Locarno class, not an IPC one: None). Weights are relative.
IPC_INVENTION = {
    "G06F": 10, "G06Q": 5, "G06N": 4, "G06T": 4, "G06V": 3, "H04L": 7, "H04N": 3, "H04W": 3, "H01M": 4,
    "H01L": 3, "H02J": 3, "G01N": 6, "G01R": 2, "A61K": 5, "A61B": 3, "C12N": 2, "C07D": 2, "C08L": 3,
    "C08K": 2, "C02F": 2, "B01D": 2, "B01J": 2, "A23F": 2, "A23L": 3, "C04B": 2, "E04B": 2, "E02D": 2,
    "B65G": 2, "F16K": 1, "D01F": 1, "C03C": 1, "B33Y": 1,
}  # fmt: skip
IPC_UTILITY = {
    "B65G": 6, "F16K": 4, "F16M": 3, "B23K": 4, "B23P": 3, "B08B": 3, "A47L": 2, "A47J": 3, "F24F": 2,
    "H02J": 3, "H02B": 3, "H01R": 3, "H05K": 3, "G01N": 4, "G01B": 3, "G06F": 3, "H04N": 2, "E04B": 4,
    "E04G": 3, "E02D": 2, "B01D": 4, "C02F": 2, "A01K": 2, "A23N": 2, "D04B": 2, "D06F": 2, "A61B": 2,
    "A61G": 2, "B29C": 3, "B65D": 4, "F21V": 3, "G09B": 2,
}  # fmt: skip
STRATEGIC_IPC = {"G06F", "G06N", "G06T", "G06V", "H04L", "H04W", "H01M", "H01L", "H02J", "A61K", "C12N", "B33Y"}

# --- names ----------------------------------------------------------------------------------
_BRAND = list(
    "鑫达华泰创新源宏盛恒隆信通瑞祥丰博远云海天星光明科智联景元宇航安德嘉美永辉金益润鸿利兴昌"
    "正中瀚铭睿锐凯峰亿合众力诚品优格佳康捷顺成实卓越融汇聚腾飞扬旭东升"
)
_INDUSTRY = [
    "电子科技", "信息技术", "网络科技", "软件", "智能科技", "机械", "新材料", "生物科技", "医疗器械", "食品",
    "茶业", "纺织", "化纤", "鞋业", "服饰", "建材", "电气", "光电科技", "汽车配件", "环保科技", "新能源科技",
    "海洋生物科技", "水产", "家居", "工艺品", "包装", "精密机械", "仪器", "化工", "数据科技", "通信技术",
    "电力设备", "智能装备", "建筑工程", "物联网科技",
]  # fmt: skip
_FIRM_SUFFIX = np.array(["有限公司", "股份有限公司", "有限责任公司"])
_SURNAMES = list("陈林黄张吴王李郑刘杨许何郭徐谢高邱江方蔡周魏朱曾游施卓叶翁詹潘邓")
_GIVEN = list("志建明华国文伟海春秋金永德荣俊晓丽芳敏静婷雪燕玲红英强勇军斌杰涛鹏辉磊锋宇琳颖彬")
_UNI_PREFIX = ["闽都", "海峡", "榕城", "东南", "闽江", "鼓山", "旗山", "乌山", "屏山", "南台", "闽越", "三山"]
_UNI_FIELD = ["理工", "医科", "师范", "农林", "工商", "信息", "海洋", "轻工", "交通", "建筑", "艺术", "财经"]
_UNI_KIND = ["学院", "职业技术学院", "大学"]
_INST_FIELD = ["农业科学", "海洋科学", "轻工业", "机械科学", "电子信息", "材料", "环境科学", "林业科学", "水产"]
_PUBLIC = [
    "人民医院",
    "中医院",
    "妇幼保健院",
    "疾病预防控制中心",
    "实验中学",
    "第一中学",
    "职业中专学校",
    "检验检测中心",
]
_AGENCY_CITY = ["北京", "上海", "深圳", "厦门", "杭州", "广州"]


def _rng(*keys: object) -> np.random.Generator:
    """A generator seeded from stable keys (Python's hash() is salted per process)."""
    return np.random.default_rng([SEED, *(zlib.crc32(str(k).encode()) for k in keys)])


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split a whole number in proportion to `weights` so that the parts add up exactly."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))
    raw = w * total
    base = np.floor(raw).astype(np.int64)
    short = int(total - base.sum())
    if short > 0:
        base[np.argsort(-(raw - base), kind="stable")[:short]] += 1
    return base


def application_numbers(number12: np.ndarray) -> np.ndarray:
    """'CN' + the 12-digit number + CNIPA's check digit (digits × 2,3,…,9,2,…,5 mod 11; 10 → X), as bytes.

    Built as ASCII bytes column by column, which is far faster than joining strings row by row.
    """
    n = len(number12)
    text = np.empty((n, 15), dtype=np.uint8)
    text[:, 0], text[:, 1] = ord("C"), ord("N")
    rest = np.asarray(number12, dtype=np.int64).copy()
    check = np.zeros(n, dtype=np.int64)
    for pos, weight in zip(range(13, 1, -1), (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), strict=True):
        rest, digit = np.divmod(rest, 10)
        text[:, pos] = 48 + digit
        check += digit * weight
    check %= 11
    text[:, 14] = np.where(check == 10, ord("X"), 48 + check)
    return text.view("S15").ravel()


# --- the raw table's columns ----------------------------------------------------------------
@cache
def record_columns() -> tuple[str, ...]:
    """raw.patent_records' columns without extract_id, read from the intake DDL (one definition)."""
    con = duckdb.connect()
    try:
        ensure_raw_schema(con)
        rows = con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'patent_records' order by ordinal_position"
        ).fetchall()
    finally:
        con.close()
    return tuple(r[0] for r in rows if r[0] != "extract_id")


# --- volumes as cells (region × month × type) -----------------------------------------------
@dataclass(frozen=True)
class _Region:
    code: str
    profile: RegionProfile
    city_name: str  # short name of the parent city: 福州, 泉州
    county_name: str  # full name: 福清市
    county_short: str
    agency_group: str  # regions sharing a parent share the agencies


def _months_split(total: int, rng: np.random.Generator) -> np.ndarray:
    return largest_remainder(total, rng.dirichlet(SEASON * 400))


def _fuzhou_cells(regions: list[_Region], years: np.ndarray) -> list[np.ndarray]:
    """Rows (region index, year, month, type, count) for regions sharing the city series."""
    base = np.array([r.profile.share for r in regions])
    inv = base * np.array([r.profile.invention_tilt for r in regions])
    des = base * np.array([r.profile.design_tilt for r in regions])
    weights = np.stack([inv / inv.sum(), base / base.sum(), des / des.sum()])
    out = []
    for year in years:
        total, invention = FUZHOU_APPLICATIONS.get(int(year), FUZHOU_APPLICATIONS[max(FUZHOU_APPLICATIONS)])
        utility_share = float(np.interp(year, [2010, 2026], [0.62, 0.70]))
        utility = round((total - invention) * utility_share)
        for t, count in enumerate((invention, utility, total - invention - utility)):
            rng = _rng("cells", "fuzhou", year, t)
            months = _months_split(count, rng)
            for m, n in enumerate(months):
                split = largest_remainder(int(n), rng.dirichlet(weights[t] * 3000))
                out.append(_cell_rows(year, m + 1, t, split))
    return out


def _cell_rows(year: int, month: int, ptype: int, counts: np.ndarray) -> np.ndarray:
    """Cells (region index, year, month, type, count) for every region at once."""
    k = len(counts)
    return np.column_stack([np.arange(k), np.full(k, year), np.full(k, month), np.full(k, ptype), counts])


def _own_cells(index: int, region: _Region, years: np.ndarray) -> list[np.ndarray]:
    """Cells for a region with its own series (Licheng, or any region without a city series)."""
    out = []
    for year in years:
        if region.code in OWN_SERIES:
            series, shares = OWN_SERIES[region.code]
            total = series.get(int(year), series[max(series)])
            mix = np.array(shares)
        else:
            fz_total, fz_inv = FUZHOU_APPLICATIONS.get(int(year), FUZHOU_APPLICATIONS[max(FUZHOU_APPLICATIONS)])
            total = round(fz_total * OWN_SERIES_DEFAULT_SCALE)
            mix = np.array([fz_inv / fz_total, 0.4, 0.6 - fz_inv / fz_total])
        for t, count in enumerate(largest_remainder(total, mix)):
            rng = _rng("cells", region.code, year, t)
            for m, n in enumerate(_months_split(int(count), rng)):
                out.append(np.array([[index, year, m + 1, t, n]]))
    return out


# --- the generator --------------------------------------------------------------------------
def _firm_names(region: _Region, n: int, rng: np.random.Generator) -> np.ndarray:
    prefixes = np.array([region.city_name, "福建", "福建省", region.county_name, f"{region.city_name}市"], dtype=object)
    pick = rng.choice(len(prefixes), size=n, p=[0.42, 0.18, 0.08, 0.22, 0.10])
    b1 = rng.choice(len(_BRAND), size=n)
    b2 = rng.choice(len(_BRAND), size=n)
    ind = rng.choice(len(_INDUSTRY), size=n)
    suf = rng.choice(3, size=n, p=[0.82, 0.14, 0.04])
    parts = zip(pick, b1, b2, ind, suf, strict=True)
    names = [f"{prefixes[p]}{_BRAND[a]}{_BRAND[b]}{_INDUSTRY[i]}{_FIRM_SUFFIX[s]}" for p, a, b, i, s in parts]
    return np.array(names, dtype=object)


def _other_names(kind: str, region: _Region, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "university":
        names = [
            f"{rng.choice(['福建', region.city_name])}{rng.choice(_UNI_PREFIX)}{rng.choice(_UNI_FIELD)}"
            f"{rng.choice(_UNI_KIND, p=[0.5, 0.35, 0.15])}"
            for _ in range(n)
        ]
        return np.array(names, dtype=object)
    if kind == "institute":
        prefixes = ["福建省", f"{region.city_name}市", region.county_name]
        return np.array(
            [f"{rng.choice(prefixes)}{rng.choice(_INST_FIELD)}研究{rng.choice(['所', '院'])}" for _ in range(n)],
            dtype=object,
        )
    if kind == "public_body":
        return np.array(
            [f"{region.county_name}{rng.choice(['', '第一', '第二', '第三'])}{rng.choice(_PUBLIC)}" for _ in range(n)],
            dtype=object,
        )
    surname = rng.choice(len(_SURNAMES), size=n)
    g1 = rng.choice(len(_GIVEN), size=n)
    g2 = rng.choice(len(_GIVEN), size=n)
    single = rng.random(n) < 0.25
    parts = zip(surname, g1, g2, single, strict=True)
    return np.array([_SURNAMES[s] + _GIVEN[a] + ("" if one else _GIVEN[b]) for s, a, b, one in parts], dtype=object)


@dataclass
class _Pool:
    names: np.ndarray
    weights: np.ndarray
    founded: np.ndarray  # first year an applicant can file
    hightech: np.ndarray


def _pools(
    regions: list[_Region], firm_filings: np.ndarray, individual_filings: np.ndarray
) -> dict[tuple[int, int], _Pool]:
    """Applicant pools per (region, applicant type); non-individual names are unique across regions."""
    pools: dict[tuple[int, int], _Pool] = {}
    taken: set[str] = set()
    for i, region in enumerate(regions):
        p = region.profile
        sizes = {
            0: max(20, round(firm_filings[i] * p.firms_per_filing)),
            1: p.universities,
            2: p.institutes,
            3: max(20, round(individual_filings[i] / 1.4)),
            4: p.public_bodies,
        }
        for t, size in sizes.items():
            if size == 0:
                continue
            rng = _rng("pool", region.code, t)
            if t == 3:
                names = _other_names("individual", region, size, rng)
            else:
                drawn = (
                    _firm_names(region, size * 2 + 50, rng)
                    if t == 0
                    else _other_names(APPLICANT_TYPES[t], region, size * 6 + 20, rng)
                )
                names = np.array([n for n in dict.fromkeys(drawn) if n not in taken], dtype=object)[:size]
                taken.update(names)
            size = len(names)
            if size == 0:
                continue
            rank = np.arange(size)
            zipf = p.zipf if t == 0 else (0.5 if t == 3 else 1.0)
            weights = (rank + 3.0) ** -zipf
            if t == 0:  # prolific firms are older; the long tail keeps arriving
                pct = rank / max(size - 1, 1)
                founded = np.floor(1995 + 31 * pct**0.8 + rng.normal(0, 2.5, size)).astype(int)
                hightech = rng.random(size) < p.hightech_base + 0.55 * np.exp(-rank / (0.02 * size + 5))
            else:
                founded = np.full(size, 1990)
                hightech = np.zeros(size, dtype=bool)
            pools[(i, t)] = _Pool(names, weights, founded, hightech)
    return pools


def _agency_pools(regions: list[_Region]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for group in sorted({r.agency_group for r in regions}):
        city = next(r.city_name for r in regions if r.agency_group == group)
        rng = _rng("agency", group)
        kinds = ["专利代理事务所（普通合伙）", "知识产权代理有限公司", "专利商标代理有限公司"]
        local = [f"{city}{_BRAND[a]}{_BRAND[b]}{rng.choice(kinds)}" for a, b in rng.choice(len(_BRAND), size=(60, 2))]
        remote = [
            f"{c}{_BRAND[a]}{_BRAND[b]}知识产权代理有限公司{city}分公司"
            for c, a, b in zip(rng.choice(_AGENCY_CITY, 16), *rng.choice(len(_BRAND), size=(2, 16)), strict=True)
        ]
        names = np.array(list(dict.fromkeys(local))[:34] + list(dict.fromkeys(remote))[:12], dtype=object)
        weights = (np.arange(len(names)) + 2.0) ** -0.9
        out[group] = (names, weights / weights.sum())
    return out


def _generate(
    regions: list[_Region], cells: np.ndarray, as_of: date, seed_key: str, stock_path: StockPath | None = None
) -> pd.DataFrame:
    """Rows for `cells` (region index, year, month, type, count), in the state they are on `as_of`.

    With `stock_path`, extra invention patents lapse so that the latent stock follows it (`_cull`).
    """
    cells = cells[cells[:, 4] > 0]
    n_cells = cells[:, 4].astype(np.int64)
    region = np.repeat(cells[:, 0], n_cells).astype(np.int64)
    year = np.repeat(cells[:, 1], n_cells).astype(np.int64)
    month = np.repeat(cells[:, 2], n_cells).astype(np.int64)
    ptype = np.repeat(cells[:, 3], n_cells).astype(np.int64)
    n = len(region)
    rng = _rng(seed_key, "rows")

    month_start = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    days_in_month = ((month_start + 1).astype("datetime64[D]") - month_start.astype("datetime64[D]")).astype(int)
    app_date = month_start.astype("datetime64[D]") + np.floor(rng.random(n) * days_in_month).astype(int)
    year_idx = np.clip(year - FIRST_YEAR, 0, len(_YEARS) - 1)

    # Applicant type, then the applicant from its pool (weighted, only those founded by then).
    atype = np.zeros(n, dtype=np.int64)
    key = region * 3 + ptype
    order_rt = np.argsort(key, kind="stable")
    bounds = np.searchsorted(key[order_rt], np.arange(len(regions) * 3 + 1))
    for r, reg in enumerate(regions):
        p = reg.profile
        for t in range(3):
            idx = order_rt[bounds[r * 3 + t] : bounds[r * 3 + t + 1]]
            if len(idx) == 0:
                continue
            mix = APPLICANT_MIX[t].copy()
            mix[1] *= p.university_factor if p.universities else 0.0
            mix[2] *= 1.0 if p.institutes else 0.0
            mix[4] *= 1.0 if p.public_bodies else 0.0
            atype[idx] = _rng(seed_key, "atype", reg.code, t).choice(5, size=len(idx), p=mix / mix.sum())

    firm_filings = np.bincount(region[(atype == 0) & (year == year.max() - 1)], minlength=len(regions))
    firm_filings = np.maximum(firm_filings, np.bincount(region[atype == 0], minlength=len(regions)) / 10)
    indiv_filings = np.bincount(region[atype == 3], minlength=len(regions)) / max(len(np.unique(year)), 1)
    pools = _pools(regions, firm_filings, indiv_filings)
    have_pool = np.array([[(r, t) in pools for t in range(5)] for r in range(len(regions))])
    atype[~have_pool[region, atype]] = 0  # no such applicant in this region: a firm files instead

    # Names are kept as indices into one table and turned into strings once, at the end.
    table: list[np.ndarray] = []
    offsets: dict[tuple[int, int], int] = {}
    size = 0
    for k, pool in pools.items():
        offsets[k] = size
        table.append(pool.names)
        size += len(pool.names)
    applicant = np.zeros(n, dtype=np.int64)
    hightech = np.zeros(n, dtype=bool)
    gkey = (region * 5 + atype) * len(_YEARS) + year_idx
    order = np.argsort(gkey, kind="stable")
    sorted_keys = gkey[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], n]
    who = _rng(seed_key, "who")
    for s, e in zip(starts, ends, strict=True):
        k = int(sorted_keys[s])
        y = k % len(_YEARS) + FIRST_YEAR
        r, t = divmod(k // len(_YEARS), 5)
        pool = pools[(r, t)]
        w = pool.weights * (pool.founded <= y)
        cum = np.cumsum(w if w.sum() > 0 else pool.weights)
        pick = np.minimum(np.searchsorted(cum, who.random(e - s) * cum[-1], side="right"), len(cum) - 1)
        applicant[order[s:e]] = offsets[(r, t)] + pick
        hightech[order[s:e]] = pool.hightech[pick]

    individual = atype == 3
    service = ~individual & (rng.random(n) < 0.995)

    # Agencies: individuals use them less, universities more. Index -1 = filed without an agency.
    base_share = np.array([r.profile.agency_share for r in regions])[region]
    factor = np.array([1.0, 1.04, 1.0, 0.62, 0.95])[atype]
    via_agency = rng.random(n) < np.clip(base_share * factor, 0, 0.985)
    agency = np.full(n, -1, dtype=np.int64)
    agency_table: list[np.ndarray] = []
    group_of = np.array([r.agency_group for r in regions])
    agency_size = 0
    for group, (names, weights) in _agency_pools(regions).items():
        mask = via_agency & np.isin(region, np.flatnonzero(group_of == group))
        agency[mask] = agency_size + _rng(seed_key, "agency", group).choice(len(names), size=int(mask.sum()), p=weights)
        agency_table.append(names)
        agency_size += len(names)

    # IPC main class, sampled per (region, type) from the type's list plus the region's own industries.
    codes = list(dict.fromkeys([*IPC_INVENTION, *IPC_UTILITY, *(c for r in regions for c, _ in r.profile.ipc_bias)]))
    ipc = np.full(n, -1, dtype=np.int64)  # -1: a design (Locarno class, no IPC)
    ipc_rng = _rng(seed_key, "ipc")
    for r, reg in enumerate(regions):
        for t, base in ((0, IPC_INVENTION), (1, IPC_UTILITY)):
            idx = order_rt[bounds[r * 3 + t] : bounds[r * 3 + t + 1]]
            if len(idx) == 0:
                continue
            w = np.array([base.get(c, 0.0) for c in codes]) + np.array(
                [dict(reg.profile.ipc_bias).get(c, 0.0) for c in codes]
            )
            ipc[idx] = ipc_rng.choice(len(codes), size=len(idx), p=w / w.sum())
    strategic = np.r_[np.array([c in STRATEGIC_IPC for c in codes]), False]  # index -1 → False

    # International filings: PCT for inventions; the Paris route for all types.
    pct_factor = np.array([r.profile.pct_factor for r in regions])[region]
    who_files = np.array([1.0, 1.2, 0.8, 0.08, 0.3])[atype]
    trend = np.interp(year, [2010, 2016, 2020, 2026], [0.6, 0.9, 1.0, 1.25])
    # 0.040 gives about 1,635 PCT filings in 2016–2020 (001_b5d4a5296c7b0b6a.txt, 一(一)3)
    is_pct = (ptype == 0) & (rng.random(n) < 0.040 * pct_factor * who_files * trend)
    abroad_rate = np.array([0.016, 0.0025, 0.006])[ptype]
    is_abroad = rng.random(n) < abroad_rate * pct_factor * who_files * trend

    # Examination outcome and dates (latent, then masked at as_of).
    granted = rng.random(n) < GRANT_RATE[ptype, year_idx]
    median = np.where(granted, GRANT_MONTHS[ptype, year_idx], REFUSE_MONTHS[ptype])
    lag_days = np.maximum(np.round(median * 30.44 * np.exp(rng.normal(0, 0.32, n))), MIN_DAYS[ptype]).astype(int)
    decided = app_date + lag_days
    withdrawn = ~granted & (rng.random(n) < WITHDRAWN_SHARE[ptype])

    # Lapse on an anniversary of filing (unpaid annual fee), or expiry at the end of the term.
    term = np.where(ptype == 0, 20, np.where((ptype == 2) & (app_date >= np.datetime64("2021-06-01")), 15, 10))
    life = rng.exponential(1.0 / LAPSE_HAZARD[ptype, atype])
    years_to_grant = lag_days / 365.25
    anniversaries = np.minimum(np.ceil(years_to_grant + life), term)
    lapse = app_date + np.round(anniversaries * 365.25).astype(int)

    high_value = granted & (ptype == 0) & (is_pct | is_abroad | (rng.random(n) < np.where(strategic[ipc], 0.55, 0.16)))
    if stock_path is not None:
        in_path = np.isin(region, np.flatnonzero([r.agency_group == stock_path.region for r in regions]))
        eligible = granted & (ptype == 0) & in_path
        lapse = _cull(stock_path, eligible, high_value, app_date, decided, lapse, _rng(seed_key, "cull"))

    # Application numbers: yyyy + type digit + 7-digit serial (rising with the filing date) + check digit.
    serial = np.zeros(n, dtype=np.int64)
    nkey = year * 10 + ptype
    order = np.lexsort((app_date, nkey))
    sorted_keys = nkey[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], n]
    for s, e in zip(starts, ends, strict=True):
        g = _rng(seed_key, "serial", int(sorted_keys[s]))
        mean_gap = max(1.0, min(150.0, 8_500_000 / (e - s)))
        gaps = g.geometric(1.0 / mean_gap, size=e - s)
        serial[order[s:e]] = int(g.integers(1, 50_000)) + np.cumsum(gaps)
    number12 = year * 10**8 + TYPE_DIGIT[ptype] * 10**7 + serial
    application_no = application_numbers(number12)

    # State on as_of.
    cutoff = np.datetime64(as_of)
    filed = app_date <= cutoff
    grant_seen = granted & (decided <= cutoff)
    refused_seen = ~granted & (decided <= cutoff)
    lapsed = grant_seen & (lapse <= cutoff)
    status = np.zeros(n, dtype=np.int64)  # index into _STATUSES
    status[refused_seen] = np.where(withdrawn[refused_seen], 3, 2)
    status[grant_seen] = 1
    status[lapsed] = 4

    nat = np.datetime64("NaT")
    keep = np.flatnonzero(filed)
    keep = keep[np.lexsort((number12[keep], app_date[keep]))]
    names = pd.array(np.concatenate(table), dtype="str")
    agencies = pd.array(np.concatenate(agency_table) if agency_table else np.array([], dtype=object), dtype="str")
    ipc_names = pd.array(np.array(codes, dtype=object), dtype="str")

    def labels(values: Sequence[str], index: np.ndarray) -> pd.api.extensions.ExtensionArray:
        return pd.array(np.array(values, dtype=object), dtype="str").take(index[keep])

    frame = pd.DataFrame(
        {
            "application_no": pd.array(application_no[keep].astype("U15").astype(object), dtype="str"),
            "patent_type": labels(PATENT_TYPES, ptype),
            "application_date": app_date[keep].astype("datetime64[ns]"),
            "grant_date": np.where(grant_seen, decided, nat)[keep].astype("datetime64[ns]"),
            "applicant_name": names.take(applicant[keep]),
            "applicant_type": labels(APPLICANT_TYPES, atype),
            "is_hightech_firm": (hightech & (atype == 0))[keep],
            "is_service_invention": service[keep],
            "agency_name": agencies.take(agency[keep], allow_fill=True),
            "region_code": labels([r.code for r in regions], region),
            "legal_status": labels(_STATUSES, status),
            "lapse_date": np.where(lapsed, lapse, nat)[keep].astype("datetime64[ns]"),
            "ipc_main": ipc_names.take(ipc[keep], allow_fill=True),
            "is_pct": is_pct[keep],
            "is_abroad": is_abroad[keep],
            "is_high_value": (high_value & grant_seen)[keep],
        }
    )
    return frame[list(record_columns())]


@dataclass(frozen=True)
class StockPath:
    """Year-end stock of valid invention patents that the records of one city's counties should not exceed."""

    region: str  # the city: its counties' records follow the path
    by_year: Callable[[int], Mapping[int, int]]  # records' stock at the baseline year-end → target stock by year
    base_year: int


def _stock_at(eligible: np.ndarray, decided: np.ndarray, lapse: np.ndarray, year: int) -> int:
    end = np.datetime64(f"{year}-12-31")
    return int((eligible & (decided <= end) & (lapse > end)).sum())


def _cull(
    path: StockPath,
    eligible: np.ndarray,
    high_value: np.ndarray,
    app_date: np.ndarray,
    decided: np.ndarray,
    lapse: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Lapse dates after extra lapses: each year after the baseline, the stock above the path lapses.

    The story: from 2021 subsidies for filing and keeping patents end, and owners stop paying the
    annual fees on low-value ones. Only patents granted before the year and not high-value are
    dropped, each on its filing anniversary that year. Works on the latent history, so an earlier
    `as_of` shows the same lapses.
    """
    lapse = lapse.copy()
    target = path.by_year(_stock_at(eligible, decided, lapse, path.base_year))
    app_day = (app_date - app_date.astype("datetime64[Y]")).astype(int)
    for year in sorted(target):
        excess = _stock_at(eligible, decided, lapse, year) - target[year]
        if excess <= 0:
            continue
        start, end = np.datetime64(f"{year}-01-01"), np.datetime64(f"{year}-12-31")
        candidates = np.flatnonzero(eligible & ~high_value & (decided < start) & (lapse > end))
        chosen = rng.choice(candidates, size=min(excess, len(candidates)), replace=False)
        anniversary = np.datetime64(f"{year}-01-01") + np.minimum(app_day[chosen], 364)
        lapse[chosen] = anniversary
    return lapse


# --- public API -----------------------------------------------------------------------------
def record_regions(catalogue: Catalogue) -> list[str]:
    """County-level regions with an IP office that reports patent counts (Fuzhou's 13 + Licheng)."""
    from sources.forms.spec import form_spec, submitters

    carrying = {
        f["form_code"]
        for f in catalogue.rows("forms")
        if any(r.element.code in RECORD_COUNTS for r in form_spec(catalogue, f["form_code"]).rows)
    }
    codes: set[str] = set()
    for code in carrying:
        spec = form_spec(catalogue, code)
        codes |= {d["region_code"] for d in submitters(catalogue, spec) if d["department_level"] == "county"}
    return sorted(codes)


def _regions(catalogue: Catalogue) -> tuple[list[_Region], list[_Region]]:
    """(regions sharing the Fuzhou city series, regions with their own series)."""
    rows = {r["region_code"]: r for r in catalogue.rows("regions")}
    shared, own = [], []
    for code in record_regions(catalogue):
        row = rows[code]
        parent = rows.get(row["parent_code"], row)
        profile = PROFILES.get(code, DEFAULT_PROFILE)
        region = _Region(
            code, profile, parent["short_name"], row["region_name"], row["short_name"], parent["region_code"]
        )
        (own if code in OWN_SERIES or code not in PROFILES else shared).append(region)
    return shared, own


_CACHE: dict[tuple[str, date], pd.DataFrame] = {}


def patent_records(catalogue: Catalogue, as_of: date = date(2026, 10, 31)) -> pd.DataFrame:
    """One row per patent application filed from 2010 up to `as_of`, as on `as_of` (a copy)."""
    return _cached_records(catalogue, as_of).copy()


def _cached_records(catalogue: Catalogue, as_of: date) -> pd.DataFrame:
    """The records, generated once per process and catalogue folder (callers must not mutate)."""
    key = (str(catalogue.seeds_dir), as_of)
    if key not in _CACHE:
        shared, own = _regions(catalogue)
        regions = shared + own
        horizon = max(HORIZON.year, as_of.year)
        years = np.arange(FIRST_YEAR, horizon + 1)
        parts = _fuzhou_cells(shared, years) if shared else []
        for i, region in enumerate(own, start=len(shared)):
            parts += _own_cells(i, region, years)
        cells = np.vstack(parts).astype(np.int64)
        _CACHE[key] = _generate(regions, cells, as_of, "demo", _stock_path(catalogue))
    return _CACHE[key]


def _stock_path(catalogue: Catalogue) -> StockPath:
    """The path the city's valid invention stock follows toward its plan target (trajectories.REACH)."""
    toward = trajectories.REACH["valid_invention_patents"]
    base_year, _ = trajectories.baseline(catalogue, toward.target_code)
    years = list(range(base_year + 1, HORIZON.year + 1))
    return StockPath(
        region=trajectories.plan_region(catalogue, toward.target_code),
        by_year=lambda stock: trajectories.record_stock_path(catalogue, stock, years),
        base_year=base_year,
    )


def patent_records_scaled(n_records: int, regions: Sequence[str], seed: int) -> pd.DataFrame:
    """Exactly `n_records` applications over `regions` (province-scale benchmark), same schema.

    Filings grow about 12% a year from January 2010 to October 2026, with the usual months; regions
    get random shares; the state is as on 2026-10-31. No catalogue is consulted, so names use
    synthetic county names.
    """
    as_of = date(2026, 10, 31)
    rng = np.random.default_rng([SEED, seed])
    years = np.arange(FIRST_YEAR, as_of.year + 1)
    grid = [(y, m) for y in years for m in range(1, 13) if (y, m) <= (as_of.year, as_of.month)]
    weights = np.array([1.12 ** (y - FIRST_YEAR) * SEASON[m - 1] for y, m in grid])
    per_month = largest_remainder(n_records, weights)
    shares = rng.dirichlet(np.ones(len(regions)) * 2.0)
    mix = np.array([0.33, 0.47, 0.20])
    cells = []
    for (y, m), total in zip(grid, per_month, strict=True):
        for t, count in enumerate(largest_remainder(int(total), mix)):
            cells.append(_cell_rows(y, m, t, largest_remainder(int(count), shares)))
    names = [f"{_BRAND[i % len(_BRAND)]}{_BRAND[(i * 7 + 3) % len(_BRAND)]}县" for i in range(len(regions))]
    regs = [
        _Region(code, RegionProfile(1.0 / len(regions), universities=1, institutes=1), "福建", name, name[:2], "350000")
        for code, name in zip(regions, names, strict=True)
    ]
    return _generate(regs, np.vstack(cells).astype(np.int64), as_of, f"scaled-{seed}")


# --- aggregation to form figures ------------------------------------------------------------
# How each record-derived form element is counted: (date column, filter). Parameters, keyed by
# element code; an element not listed here is not derived from the records.
RECORD_COUNTS: dict[str, tuple[str, tuple[str, object] | None]] = {
    "patent_applications": ("application_date", None),
    "patent_applications_invention": ("application_date", ("patent_type", "invention")),
    "patent_applications_utility": ("application_date", ("patent_type", "utility")),
    "patent_applications_design": ("application_date", ("patent_type", "design")),
    "patent_grants": ("grant_date", None),
    "patent_grants_invention": ("grant_date", ("patent_type", "invention")),
    "patent_grants_utility": ("grant_date", ("patent_type", "utility")),
    "patent_grants_design": ("grant_date", ("patent_type", "design")),
    "pct_applications": ("application_date", ("is_pct", True)),
    "patent_applications_abroad": ("application_date", ("is_abroad", True)),
}


def monthly_counts(records: pd.DataFrame) -> pd.DataFrame:
    """Counts per (region_code, month 'YYYY-MM') for every element in RECORD_COUNTS (0 when none)."""
    region = records["region_code"].to_numpy()
    out = []
    for element, (column, condition) in RECORD_COUNTS.items():
        mask = records[column].notna().to_numpy().copy()
        if condition is not None:
            mask &= (records[condition[0]] == condition[1]).to_numpy()
        month = records[column].to_numpy()[mask].astype("datetime64[M]").astype(np.int64)
        frame = pd.DataFrame({"region_code": region[mask], "month": month})
        counts = frame.groupby(["region_code", "month"]).size().rename(element)
        out.append(counts)
    table = pd.concat(out, axis=1).fillna(0).astype(np.int64)
    codes = table.index.get_level_values(1).to_numpy()
    labels = [f"{1970 + m // 12}-{m % 12 + 1:02d}" for m in codes]
    table.index = pd.MultiIndex.from_arrays([table.index.get_level_values(0), labels], names=["region_code", "month"])
    return table.sort_index()


def monthly_stock(records: pd.DataFrame, months: Sequence[str], high_value: bool = False) -> pd.DataFrame:
    """Valid (optionally high-value) invention patents per region at the end of each month."""
    inv = records[(records["patent_type"] == "invention") & records["grant_date"].notna()]
    if high_value:
        inv = inv[inv["is_high_value"]]
    ends = pd.PeriodIndex(list(months), freq="M").to_timestamp(how="end").normalize()
    out = {}
    for code, rows in inv.groupby("region_code"):
        granted = np.sort(rows["grant_date"].to_numpy())
        lapsed = np.sort(rows["lapse_date"].dropna().to_numpy())
        e = ends.to_numpy()
        out[code] = np.searchsorted(granted, e, side="right") - np.searchsorted(lapsed, e, side="right")
    return pd.DataFrame(out, index=list(months)).T.sort_index()


def hightech_firms_to_date(records: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Distinct high-tech firms per region that had filed at least one application by each year-end."""
    firms = records[records["is_hightech_firm"]]
    first = firms.groupby(["region_code", "applicant_name"])["application_date"].min().dt.year.reset_index()
    out = {}
    for code, rows in first.groupby("region_code"):
        years_first = np.sort(rows["application_date"].to_numpy())
        out[code] = np.searchsorted(years_first, np.asarray(years), side="right")
    return pd.DataFrame(out, index=list(years)).T.sort_index()
