"""Trace each figure of a return to the submissions behind it (the 数据来源 sheet and the manifest).

An indicator's figure for a region and period comes from its terms' data elements (numerator, and
the denominator for the year the indicator used). For each element the warehouse says where its
value came from (`value_source` in marts.fct_element_values):
  reported  the region's own departments' latest accepted versions, native periods inside the period
            (flows: every native period inside it; stocks and rates: the one ending with it);
  children  the same, from the descendant regions whose own figure was reported;
  bulletin  the bulletin form (国家知识产权局通报录入) of the region;
  records   the patent-record extract (file hash, cut-off day), not a submission.
A department's row on the submission-status return traces to its latest accepted versions in the period;
a key task's reported status and text trace to the lead unit's task report behind them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from reports.sources import TraceKey
from sources.periods import Period


@dataclass(frozen=True)
class TraceRow:
    label: str  # e.g. "1. 每万人口有效发明专利拥有量 · 本期值"
    figure_period: str
    element_code: str
    element_name: str
    region_name: str
    value_source: str  # 本级报送 / 下级汇总 / 通报录入 / 专利明细
    department: str
    form: str  # 表号 + name
    submission_id: str
    version: int | None
    data_period: str
    cells: str
    file_sha256: str
    received_at: datetime | None


SOURCE_LABELS = {"reported": "本级报送", "children": "下级汇总", "bulletin": "通报录入", "records": "专利明细"}

_ELEMENT_SUBMISSIONS = """
with keys as (
    select unnest($indicators) as k_indicator, unnest($regions) as k_region, unnest($periods) as k_period
),
wanted as (
    select
        k.k_indicator, k.k_region, k.k_period,
        t.element_code, de.element_name, e.value_source, e.aggregation, e.period_code as used_period,
        p.period_start, p.period_end, e.records_as_of
    from keys k
    join catalogue.indicator_terms t on t.indicator_code = k.k_indicator
    join catalogue.data_elements de on de.element_code = t.element_code
    left join marts.fct_indicator_values iv
        on iv.indicator_code = t.indicator_code and iv.region_code = k.k_region and iv.period_code = k.k_period
    join marts.fct_element_values e
        on e.element_code = t.element_code and e.region_code = k.k_region
        and e.period_code = case when t.term_role = 'denominator' then coalesce(iv.denominator_period, k.k_period)
                                 else k.k_period end
    join intermediate.int_periods p on p.period_code = e.period_code
    where e.value_source is not null
),
regions as (
    select w.k_indicator, w.k_region, w.k_period, w.element_code, w.value_source, a.region_code
    from wanted w
    join intermediate.int_region_ancestors a on a.ancestor_code = w.k_region
    where (w.value_source in ('reported', 'bulletin') and a.distance = 0)
       or (w.value_source = 'children' and a.distance > 0)
)
select
    w.k_indicator, w.k_region, w.k_period,
    w.element_code, w.element_name, w.value_source, w.used_period, rg.region_name,
    coalesce(d.department_name, v.department_code) as department,
    f.table_no || ' ' || f.form_name as form,
    v.submission_id, v.version, v.period_code as data_period,
    string_agg(distinct v.sheet || '!' || v.cell, '、' order by v.sheet || '!' || v.cell) as cells,
    v.file_sha256, v.received_at
from wanted w
join regions r
    on r.element_code = w.element_code
    and r.k_indicator = w.k_indicator and r.k_region = w.k_region and r.k_period = w.k_period
join intermediate.int_submission_values__latest v
    on v.element_code = w.element_code and v.region_code = r.region_code
join intermediate.int_periods vp on vp.period_code = v.period_code
left join catalogue.departments d on d.department_code = v.department_code
left join catalogue.forms f on f.form_code = v.form_code
left join catalogue.regions rg on rg.region_code = v.region_code
where
    (case when w.value_source = 'bulletin' then v.form_source_kind = 'bulletin'
          else v.form_source_kind <> 'bulletin' end)
    and (
        (w.aggregation = 'flow' and vp.period_start >= w.period_start and vp.period_end <= w.period_end)
        or (w.aggregation <> 'flow' and vp.period_end = w.period_end)
    )
    and (
        w.value_source <> 'children'
        or exists (
            select 1 from marts.fct_element_values c
            where c.element_code = w.element_code and c.region_code = v.region_code
              and c.period_code = w.used_period and c.value_source = 'reported'
        )
    )
group by all
order by
    w.k_indicator, w.k_region, w.k_period, w.element_code, rg.region_name, v.period_code, department,
    form, v.submission_id, cells, w.value_source, w.used_period
"""

_RECORDS = """
with keys as (
    select unnest($indicators) as k_indicator, unnest($regions) as k_region, unnest($periods) as k_period
)
select
    k.k_indicator, k.k_region, k.k_period,
    t.element_code, de.element_name, e.period_code, x.extract_id, x.file_name, x.loaded_at
from keys k
join catalogue.indicator_terms t on t.indicator_code = k.k_indicator
join catalogue.data_elements de on de.element_code = t.element_code
join marts.fct_element_values e
    on e.element_code = t.element_code and e.region_code = k.k_region and e.period_code = k.k_period
join raw.patent_extracts x on x.as_of = e.records_as_of
where e.value_source = 'records'
order by k.k_indicator, k.k_region, k.k_period, t.element_code, x.extract_id, x.file_name, x.loaded_at
"""

_DEPARTMENT = """
select distinct
    v.submission_id, v.version, v.period_code, v.file_sha256, v.received_at, v.form_code,
    coalesce(d.department_name, v.department_code) as department, f.table_no || ' ' || f.form_name as form,
    rg.region_name
from intermediate.int_submission_values__latest v
join intermediate.int_periods p on p.period_code = v.period_code
left join catalogue.departments d on d.department_code = v.department_code
left join catalogue.forms f on f.form_code = v.form_code
left join catalogue.regions rg on rg.region_code = v.region_code
where v.department_code = $department and p.period_end between $start and $end
order by v.period_code, v.form_code
"""


_TASK = """
select
    coalesce(d.department_name, r.department_code) as department,
    tf.table_no || ' ' || tf.form_name as form,
    r.submission_id, r.version, r.period_code,
    r.sheet || '!' || r.cell || coalesce('、' || r.sheet || '!' || r.progress_cell, '') as cells,
    r.sha256, r.received_at
from raw.task_reports r
join marts.fct_task_reports latest
    on latest.submission_id = r.submission_id and latest.task_code = r.task_code
    and latest.period_code = r.period_code
join raw.submissions s on s.submission_id = r.submission_id
left join catalogue.task_forms tf on tf.form_code = s.form_code
left join catalogue.departments d on d.department_code = r.department_code
where r.task_code = $task and r.period_code = $period
order by r.received_at, r.submission_id
"""


IndicatorKey = tuple[str, str | None, str]  # indicator, region, period


class Tracer:
    """Traces the figures of a return: the indicator figures with two queries for all of them
    (given up front), not two per figure; department and task figures one query each, as asked."""

    def __init__(self, con: duckdb.DuckDBPyConnection, keys: Iterable[TraceKey] = ()) -> None:
        self.con = con
        self._elements: dict[IndicatorKey, list[tuple]] = {}
        self._records: dict[IndicatorKey, list[tuple]] = {}
        self._fetch({_indicator_key(k) for k in keys if k.kind not in ("department", "task")})

    def _fetch(self, wanted: set[IndicatorKey]) -> None:
        wanted = {k for k in wanted if k not in self._elements}
        if not wanted:
            return
        ordered = sorted(wanted, key=lambda k: (k[0], k[1] or "", k[2]))
        params = {
            "indicators": [k[0] for k in ordered],
            "regions": [k[1] for k in ordered],
            "periods": [k[2] for k in ordered],
        }
        for key in ordered:
            self._elements[key] = []
            self._records[key] = []
        for indicator, region, period, *row in self.con.execute(_ELEMENT_SUBMISSIONS, params).fetchall():
            self._elements[(indicator, region, period)].append(tuple(row))
        for indicator, region, period, *row in self.con.execute(_RECORDS, params).fetchall():
            self._records[(indicator, region, period)].append(tuple(row))

    def trace(self, key: TraceKey, label: str) -> list[TraceRow]:
        """The submissions (or extract) behind one figure."""
        if key.kind in ("department", "task"):
            return trace_key(self.con, key, label)
        wanted = _indicator_key(key)
        self._fetch({wanted})
        rows = [
            TraceRow(label, key.period_code, element, name, region, SOURCE_LABELS.get(source, source), *rest)
            for element, name, source, _used, region, *rest in self._elements[wanted]
        ]
        return rows + [_record_row(label, key.period_code, *record) for record in self._records[wanted]]


def _indicator_key(key: TraceKey) -> IndicatorKey:
    return (key.subject, key.region_code, key.period_code)


def _record_row(
    label: str,
    figure_period: str,
    element: str,
    name: str,
    period_code: str,
    extract_id: str,
    file_name: str,
    loaded_at: datetime | None,
) -> TraceRow:
    return TraceRow(
        label,
        figure_period,
        element,
        name,
        "—",
        SOURCE_LABELS["records"],
        "专利明细数据",
        file_name,
        extract_id[:24],
        None,
        period_code,
        "—",
        extract_id,
        loaded_at,
    )


def trace_key(con: duckdb.DuckDBPyConnection, key: TraceKey, label: str) -> list[TraceRow]:
    """The submissions (or extract) behind one figure."""
    if key.kind == "department":
        period = Period.parse(key.period_code)
        cur = con.execute(_DEPARTMENT, {"department": key.subject, "start": period.start, "end": period.end})
        return [
            TraceRow(
                label,
                key.period_code,
                "—",
                "（整张报表）",
                region,
                SOURCE_LABELS["reported"],
                dept,
                form,
                sid,
                version,
                data_period,
                "—",
                sha,
                received,
            )
            for sid, version, data_period, sha, received, _form_code, dept, form, region in cur.fetchall()
        ]
    if key.kind == "task":
        return [
            TraceRow(label, key.period_code, key.subject, "重点任务", "—", "牵头单位报告", dept, form, *rest)
            for dept, form, *rest in con.execute(_TASK, {"task": key.subject, "period": key.period_code}).fetchall()
        ]
    return Tracer(con, [key]).trace(key, label)
