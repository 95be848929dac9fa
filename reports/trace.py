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
with wanted as (
    select
        t.element_code, de.element_name, e.value_source, e.aggregation, e.period_code as used_period,
        p.period_start, p.period_end, e.records_as_of
    from catalogue.indicator_terms t
    join catalogue.data_elements de on de.element_code = t.element_code
    left join marts.fct_indicator_values iv
        on iv.indicator_code = t.indicator_code and iv.region_code = $region and iv.period_code = $period
    join marts.fct_element_values e
        on e.element_code = t.element_code and e.region_code = $region
        and e.period_code = case when t.term_role = 'denominator' then coalesce(iv.denominator_period, $period)
                                 else $period end
    join intermediate.int_periods p on p.period_code = e.period_code
    where t.indicator_code = $indicator and e.value_source is not null
),
regions as (
    select w.element_code, w.value_source, a.region_code
    from wanted w
    join intermediate.int_region_ancestors a on a.ancestor_code = $region
    where (w.value_source in ('reported', 'bulletin') and a.distance = 0)
       or (w.value_source = 'children' and a.distance > 0)
)
select
    w.element_code, w.element_name, w.value_source, w.used_period, rg.region_name,
    coalesce(d.department_name, v.department_code) as department,
    f.table_no || ' ' || f.form_name as form,
    v.submission_id, v.version, v.period_code as data_period,
    string_agg(distinct v.sheet || '!' || v.cell, '、' order by v.sheet || '!' || v.cell) as cells,
    v.file_sha256, v.received_at
from wanted w
join regions r on r.element_code = w.element_code
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
order by w.element_code, rg.region_name, v.period_code, department
"""

_RECORDS = """
select t.element_code, de.element_name, e.period_code, x.extract_id, x.file_name, x.loaded_at
from catalogue.indicator_terms t
join catalogue.data_elements de on de.element_code = t.element_code
join marts.fct_element_values e
    on e.element_code = t.element_code and e.region_code = $region and e.period_code = $period
join raw.patent_extracts x on x.as_of = e.records_as_of
where t.indicator_code = $indicator and e.value_source = 'records'
order by t.element_code
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
    params = {"indicator": key.subject, "region": key.region_code, "period": key.period_code}
    rows = [
        TraceRow(label, key.period_code, element, name, region, SOURCE_LABELS.get(source, source), *rest)
        for element, name, source, _used, region, *rest in con.execute(_ELEMENT_SUBMISSIONS, params).fetchall()
    ]
    for element, name, period_code, extract_id, file_name, loaded_at in con.execute(_RECORDS, params).fetchall():
        rows.append(
            TraceRow(
                label,
                key.period_code,
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
        )
    return rows
