-- One row per data element × region × period (month, quarter, year) the element can be told for:
-- each region's own figures, aggregated over time by the element's type, before regions are rolled up.
--   reported: Σ over the region's own departments of their department-form figures (e.g. three customs
--             offices of one city); complete when every assigned department sent a non-blank figure.
--   bulletin: the same from bulletin forms (国家知识产权局通报), kept apart for comparison.
--   records:  derived from patent records (complete for every period the newest extract covers).
--   upstream: a region's figures as the office below sent them in its signed return package
--             (a provincial installation loading a city's returns): already that region's totals for
--             the period sent, so they are taken as they are, not aggregated again.
-- Over time, flows sum their native periods (a quarter = its 3 months), stocks and rates take the
-- period-end value (a year = December). A period missing any input is incomplete: its value is null,
-- and the partial sum stays visible in *_partial_value. Missing is never zero.
with

elements as (
    select
        element_code,
        aggregation,
        source_kind
    from {{ ref('data_elements') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

submitted as (
    select
        case when form_source_kind = 'bulletin' then 'bulletin' else 'reported' end as origin,
        element_code,
        department_code,
        region_code,
        period_code,
        period_type,
        value,
        is_sample,
        received_at,
        form_code
    from {{ ref('int_submission_values__latest') }}
    where form_source_kind <> 'upstream'
    -- one figure per department, element and period (the latest received if two forms carry it)
    qualify row_number() over (
        partition by origin, element_code, department_code, period_code
        order by received_at desc, form_code asc
    ) = 1
),

assigned as (
    select distinct
        case when a.source_kind = 'bulletin' then 'bulletin' else 'reported' end as origin,
        fe.element_code,
        a.department_code,
        a.region_code,
        a.period_type
    from {{ ref('int_form_assignments') }} as a
    inner join {{ ref('form_elements') }} as fe on a.form_code = fe.form_code
),

submitters as (
    select
        origin,
        element_code,
        department_code,
        region_code,
        period_type,
        true as is_assigned
    from assigned
    union all
    select distinct
        origin,
        element_code,
        department_code,
        region_code,
        period_type,
        false as is_assigned
    from submitted
),

-- The period type each region's own figures come in, per origin.
source_native as (
    select
        origin,
        element_code,
        region_code,
        min({{ period_type_rank('period_type') }}) as native_rank,
        count(distinct department_code) filter (where is_assigned) as departments_expected
    from submitters
    group by 1, 2, 3
),

native_values as (
    select
        s.origin,
        s.element_code,
        s.region_code,
        s.period_code,
        sum(s.value) as value,
        count(s.value) as departments_present,
        bool_or(s.is_sample) as is_sample
    from submitted as s
    group by 1, 2, 3, 4
),

native as (
    select
        v.origin,
        v.element_code,
        v.region_code,
        v.period_code,
        p.period_start,
        p.period_end,
        p.months_in_period,
        v.value,
        v.is_sample,
        v.departments_present >= greatest(n.departments_expected, 1) as is_complete
    from native_values as v
    inner join source_native as n
        on v.origin = n.origin and v.element_code = n.element_code and v.region_code = n.region_code
    inner join periods as p on v.period_code = p.period_code and n.native_rank = p.period_type_rank
),

records as (
    select * from {{ ref('int_element_values__records') }}
),

upstream as (
    select
        element_code,
        region_code,
        period_code,
        sum(value) as value,
        bool_or(is_sample) as is_sample
    from {{ ref('int_submission_values__latest') }}
    where form_source_kind = 'upstream'
    group by 1, 2, 3
),

-- Which regions an element is told for: those with (or above) an assigned or actual submitter,
-- and those the patent records cover.
coverage as (
    select distinct
        s.element_code,
        a.ancestor_code as region_code
    from source_native as s
    inner join {{ ref('int_region_ancestors') }} as a on s.region_code = a.region_code
    union
    select distinct
        r.element_code,
        r.region_code
    from records as r
    inner join elements as e on r.element_code = e.element_code
    where e.source_kind = 'records'
),

first_native as (
    select
        element_code,
        min(period_start) as first_start
    from native
    group by 1
),

span_inputs as (
    select
        n.element_code,
        n.native_rank,
        f.first_start,
        null as is_region_additive
    from source_native as n
    left join first_native as f on n.element_code = f.element_code
    union all
    select distinct
        r.element_code,
        {{ period_type_rank('r.native_period_type') }} as native_rank,
        make_date({{ var('first_year') }}, 1, 1) as first_start,
        r.is_region_additive
    from records as r
    inner join elements as e on r.element_code = e.element_code
    where e.source_kind = 'records'
),

element_span as (
    select
        element_code,
        min(native_rank) as grid_rank,
        min(first_start) as first_start,
        bool_and(is_region_additive) as records_additive
    from span_inputs
    group by 1
),

native_grid as (
    select
        c.element_code,
        c.region_code,
        p.period_code,
        p.period_type,
        p.period_type_rank,
        p.period_year,
        p.period_no,
        p.period_start,
        p.period_end,
        p.months_in_period
    from coverage as c
    inner join element_span as s on c.element_code = s.element_code
    inner join {{ ref('regions') }} as r on c.region_code = r.region_code
    inner join periods as p
        on
            p.has_ended
            and s.grid_rank <= p.period_type_rank
            and s.first_start <= p.period_start
            and (r.valid_from is null or r.valid_from <= p.period_end)
            and (r.valid_to is null or r.valid_to >= p.period_end)
),

-- The grid, plus every element × region × period an office below sent figures for.
grid as (
    select * from native_grid
    union
    select
        u.element_code,
        u.region_code,
        p.period_code,
        p.period_type,
        p.period_type_rank,
        p.period_year,
        p.period_no,
        p.period_start,
        p.period_end,
        p.months_in_period
    from upstream as u
    inner join periods as p on u.period_code = p.period_code and p.has_ended
),

-- Native figures rolled into each grid period (flows: every native period inside; stocks and
-- rates: the one ending with the period).
rolled as (
    select
        g.element_code,
        g.region_code,
        g.period_code,
        n.origin,
        sum(n.value) as partial_value,
        count(*) filter (where n.is_complete) as inputs_complete,
        bool_or(n.is_sample) as is_sample
    from grid as g
    inner join elements as e on g.element_code = e.element_code
    inner join native as n
        on
            g.element_code = n.element_code
            and g.region_code = n.region_code
            and g.period_start <= n.period_start
            and g.period_end >= n.period_end
            and (e.aggregation = 'flow' or g.period_end = n.period_end)
    group by 1, 2, 3, 4
),

period_type_lengths as (
    select distinct
        period_type_rank,
        months_in_period
    from periods
),

expected as (
    select
        g.element_code,
        g.region_code,
        g.period_code,
        n.origin,
        case
            when e.aggregation = 'flow' then {{ int_div('g.months_in_period', 'p.months_in_period') }}
            else 1
        end as inputs_expected
    from grid as g
    inner join elements as e on g.element_code = e.element_code
    inner join source_native as n on g.element_code = n.element_code and g.region_code = n.region_code
    inner join period_type_lengths as p on n.native_rank = p.period_type_rank
    where n.native_rank <= g.period_type_rank
),

by_origin as (
    select
        x.element_code,
        x.region_code,
        x.period_code,
        x.origin,
        x.inputs_expected,
        coalesce(r.inputs_complete, 0) as inputs_present,
        r.partial_value,
        case when coalesce(r.inputs_complete, 0) >= x.inputs_expected then r.partial_value end as value,
        r.is_sample
    from expected as x
    left join rolled as r
        on
            x.element_code = r.element_code
            and x.region_code = r.region_code
            and x.period_code = r.period_code
            and x.origin = r.origin
)

select
    g.element_code,
    e.aggregation,
    e.source_kind as element_source_kind,
    g.region_code,
    g.period_code,
    g.period_type,
    g.period_type_rank,
    g.period_year,
    g.period_no,
    g.period_start,
    g.period_end,
    rep.value as reported_value,
    rep.partial_value as reported_partial_value,
    rep.inputs_expected as reported_inputs_expected,
    rep.inputs_present as reported_inputs_present,
    bul.value as bulletin_value,
    bul.inputs_expected as bulletin_inputs_expected,
    bul.inputs_present as bulletin_inputs_present,
    rec.value as records_value,
    rec.extract_as_of as records_as_of,
    up.value as upstream_value,
    e.aggregation in ('flow', 'stock') and coalesce(s.records_additive, true) as is_region_additive,
    coalesce(rep.is_sample, false) or coalesce(bul.is_sample, false) or coalesce(rec.is_sample, false)
    or coalesce(up.is_sample, false) as is_sample
from grid as g
inner join elements as e on g.element_code = e.element_code
left join element_span as s on g.element_code = s.element_code
left join by_origin as rep
    on
        g.element_code = rep.element_code
        and g.region_code = rep.region_code
        and g.period_code = rep.period_code
        and rep.origin = 'reported'
left join by_origin as bul
    on
        g.element_code = bul.element_code
        and g.region_code = bul.region_code
        and g.period_code = bul.period_code
        and bul.origin = 'bulletin'
left join records as rec
    on
        g.element_code = rec.element_code
        and g.region_code = rec.region_code
        and g.period_code = rec.period_code
left join upstream as up
    on
        g.element_code = up.element_code
        and g.region_code = up.region_code
        and g.period_code = up.period_code
