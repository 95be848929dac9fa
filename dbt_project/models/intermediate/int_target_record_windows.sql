-- Window sums cut at the window's exact dates, for targets judged on a sum over their window
-- (cumulative_min, pooled share_min) whose indicator's every term is a flow the patent records give
-- (grants, applications and their service-invention or agency parts). Records carry their own dates,
-- so a window that opens or closes inside a month (000: 2022-10-21 → 2025-06-30) counts the records
-- of those days only, where monthly figures would take the whole month; the whole window is then
-- taken from the records, numerator and denominator alike. The window is cut at the evaluation date
-- and must lie within the newest extract.
with

records as (
    select * from {{ ref('int_patent_records__current') }}
),

extract as (
    select
        max(extract_as_of) as extract_as_of,
        bool_or(is_sample) as is_sample
    from records
),

-- The record flows per county and day (the same counts int_element_values__records makes per month).
daily as (
    select
        region_code,
        application_date as record_day,
        'patent_applications' as element_code,
        count(*) as value
    from records
    group by region_code, application_date
    union all
    select
        region_code,
        application_date as record_day,
        'service_invention_applications' as element_code,
        count(*) filter (where is_service_invention) as value
    from records
    group by region_code, application_date
    union all
    select
        region_code,
        application_date as record_day,
        'agency_filed_applications' as element_code,
        count(*) filter (where is_agency_filed) as value
    from records
    group by region_code, application_date
    union all
    select
        region_code,
        grant_date as record_day,
        'patent_grants' as element_code,
        count(*) as value
    from records
    where grant_date is not null
    group by region_code, grant_date
    union all
    select
        region_code,
        grant_date as record_day,
        'patent_grants_invention' as element_code,
        count(*) filter (where patent_type = 'invention') as value
    from records
    where grant_date is not null
    group by region_code, grant_date
    union all
    select
        region_code,
        grant_date as record_day,
        'service_invention_grants' as element_code,
        count(*) filter (where is_service_invention) as value
    from records
    where grant_date is not null
    group by region_code, grant_date
),

record_elements as (
    select distinct element_code from daily
),

record_terms as (
    select
        it.indicator_code,
        it.term_role,
        it.element_code,
        it.coefficient,
        re.element_code is not null as is_in_records
    from {{ ref('indicator_terms') }} as it
    left join record_elements as re on it.element_code = re.element_code
),

record_indicators as (
    select indicator_code
    from record_terms
    group by indicator_code
    having bool_and(is_in_records)
),

targets as (
    select
        t.target_code,
        t.indicator_code,
        t.region_code,
        t.period_start,
        t.period_end,
        d.has_denominator,
        d.factor,
        d.unit_factor
    from {{ ref('int_plan_targets') }} as t
    inner join {{ ref('plan_targets') }} as pt on t.target_code = pt.target_code
    inner join {{ ref('int_indicator_definitions') }} as d on t.indicator_code = d.indicator_code
    inner join record_indicators as r on t.indicator_code = r.indicator_code
    where
        not d.is_point_in_time
        and (t.target_kind = 'cumulative_min' or (t.target_kind = 'share_min' and pt.judgement = 'pooled'))
),

windows as (
    select
        t.*,
        e.evaluation_date,
        least(e.evaluation_date, t.period_end) as window_end
    from targets as t
    inner join {{ ref('int_target_evaluation_dates') }} as e on t.target_code = e.target_code
    cross join extract as x
    where least(e.evaluation_date, t.period_end) <= x.extract_as_of
),

sums as (
    select
        w.target_code,
        w.evaluation_date,
        rt.term_role,
        sum(rt.coefficient * d.value) as value
    from windows as w
    inner join record_terms as rt on w.indicator_code = rt.indicator_code
    inner join {{ ref('int_region_ancestors') }} as a on w.region_code = a.ancestor_code
    inner join daily as d
        on
            a.region_code = d.region_code
            and rt.element_code = d.element_code
            and d.record_day between w.period_start and w.window_end
    group by w.target_code, w.evaluation_date, rt.term_role
)

select
    w.target_code,
    w.evaluation_date,
    w.period_start as exact_window_start,
    w.window_end as exact_window_end,
    cast(coalesce(n.value, 0) as decimal(38, 12)) as exact_window_numerator,
    cast(dn.value as decimal(38, 12)) as exact_window_denominator,
    case
        when not w.has_denominator
            then cast({{ divide('coalesce(n.value, 0) * w.factor', 'w.unit_factor') }} as decimal(38, 12))
        when dn.value <> 0
            then cast({{ divide('coalesce(n.value, 0)', 'dn.value') }} * w.factor / w.unit_factor as decimal(38, 12))
    end as exact_window_value,
    x.is_sample
from windows as w
cross join extract as x
left join sums as n
    on w.target_code = n.target_code and w.evaluation_date = n.evaluation_date and n.term_role = 'numerator'
left join sums as dn
    on w.target_code = dn.target_code and w.evaluation_date = dn.evaluation_date and dn.term_role = 'denominator'
