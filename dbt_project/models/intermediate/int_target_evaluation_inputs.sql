-- What each target is judged on, per evaluation date: the latest value, the plan years' values
-- (sum, mean, min, years failing), sums over the window at the indicator's finest period type
-- (and Σ numerators ÷ Σ denominators), year-on-year changes from the baseline year, the baseline.
-- Data count when their period ends inside the window [period_start, evaluation_date]; a plan
-- year is a calendar year whose 31 December lies in the window.
-- Also what a final judgement needs and what is missing for it: the period the latest value must
-- reach (the last reporting period ending by the target date), the plan years and window periods
-- without a value, the plan years that failed. A baseline year without a reported figure takes
-- the figure derived from patent records. For elements with a preferred source (data_elements),
-- the latest value is taken at the grain that source publishes (e.g. the CNIPA bulletin's quarters).
with

targets as (
    select
        t.target_code,
        t.plan_code,
        t.region_code,
        t.indicator_code,
        t.target_kind,
        t.comparator,
        t.target_value,
        t.target_value_status,
        t.target_date,
        t.period_start,
        t.period_end,
        t.baseline_value as catalogue_baseline_value,
        t.baseline_period,
        case when {{ regex_full_match('t.baseline_period', '[0-9]{4}') }} then cast(t.baseline_period as integer) end
            as baseline_year,
        t.compare_indicator_code,
        t.either_of_target,
        t.reported_actual,
        t.reported_actual_period,
        pt.judgement,
        d.indicator_type,
        d.is_point_in_time,
        d.has_denominator,
        d.factor,
        d.unit_factor
    from {{ ref('int_plan_targets') }} as t
    inner join {{ ref('plan_targets') }} as pt on t.target_code = pt.target_code
    inner join {{ ref('int_indicator_definitions') }} as d on t.indicator_code = d.indicator_code
),

periods as (
    select * from {{ ref('int_periods') }}
),

target_series as (
    select distinct
        indicator_code,
        region_code
    from targets
),

-- The sources the indicator's elements took per period (fct_element_values.value_source) and
-- whether every element with a preferred source took that source.
term_sources as (
    select
        it.indicator_code,
        v.region_code,
        v.period_code,
        {{ ordered_string_agg('v.value_source', "'+'", order_by='v.value_source', distinct=true) }} as value_sources,
        bool_and(v.value_source = de.preferred_source) filter (where de.preferred_source is not null)
            as honours_preference
    from {{ ref('indicator_terms') }} as it
    inner join target_series as s on it.indicator_code = s.indicator_code
    inner join {{ ref('data_elements') }} as de on it.element_code = de.element_code
    inner join {{ ref('int_element_values__rolled_up') }} as v
        on it.element_code = v.element_code and s.region_code = v.region_code
    where v.value_source is not null
    group by 1, 2, 3
),

indicator_values as (
    select
        v.indicator_code,
        v.region_code,
        v.period_code,
        p.period_type,
        p.period_type_rank,
        p.period_year,
        p.period_end,
        p.period_label,
        v.value,
        v.numerator_base,
        v.denominator_base,
        v.is_sample,
        s.value_sources,
        s.honours_preference
    from {{ ref('int_indicator_values') }} as v
    inner join periods as p on v.period_code = p.period_code
    left join term_sources as s
        on v.indicator_code = s.indicator_code and v.region_code = s.region_code and v.period_code = s.period_code
    where p.has_ended
),

-- The coarsest-needed grain: finer periods than the preferred source publishes are not judged on
-- (the bulletin is quarterly; a department's later month must not overrule it).
preferred_grains as (
    select
        indicator_code,
        region_code,
        min(period_type_rank) as preferred_rank
    from indicator_values
    where honours_preference and value is not null
    group by 1, 2
),

-- The grain a latest value is reported at: the finest with values (at least the preferred
-- source's grain); flows are judged on whole years.
finest_grain as (
    select
        indicator_code,
        region_code,
        min(period_type_rank) as period_type_rank
    from indicator_values
    where value is not null
    group by 1, 2
),

reporting_grains as (
    select
        t.target_code,
        case
            when not t.is_point_in_time then 3
            else greatest(coalesce(g.period_type_rank, 3), coalesce(pg.preferred_rank, 1))
        end as reporting_rank,
        pg.preferred_rank
    from targets as t
    left join finest_grain as g on t.indicator_code = g.indicator_code and t.region_code = g.region_code
    left join preferred_grains as pg on t.indicator_code = pg.indicator_code and t.region_code = pg.region_code
),

-- The last reporting period ending on or before the target date: a final judgement of a level
-- needs a value for it.
required_periods as (
    select
        r.target_code,
        p.period_code as required_period_code,
        p.period_label as required_period_label,
        p.period_end as required_data_end
    from reporting_grains as r
    inner join targets as t on r.target_code = t.target_code
    inner join periods as p on r.reporting_rank = p.period_type_rank and t.target_date >= p.period_end
    qualify row_number() over (partition by r.target_code order by p.period_end desc) = 1
),

evaluations as (
    select * from {{ ref('int_target_evaluation_dates') }}
),

-- The latest value at or before the evaluation date (latest complete year for flow indicators;
-- not finer than the preferred source's grain, and from that source when periods end together).
latest as (
    select
        e.target_code,
        e.evaluation_date,
        v.value as latest_value,
        v.period_code as latest_period_code,
        v.period_label as latest_period_label,
        v.period_type as latest_period_type,
        v.period_end as latest_period_end,
        v.value_sources as latest_value_sources,
        v.is_sample
    from evaluations as e
    inner join targets as t on e.target_code = t.target_code
    inner join reporting_grains as g on e.target_code = g.target_code
    inner join indicator_values as v
        on
            t.indicator_code = v.indicator_code
            and t.region_code = v.region_code
            and e.evaluation_date >= v.period_end
            and v.value is not null
            and (t.is_point_in_time or v.period_type = 'year')
            and v.period_type_rank >= coalesce(g.preferred_rank, 1)
    qualify row_number() over (
        partition by e.target_code, e.evaluation_date
        order by v.period_end desc, coalesce(v.honours_preference, false) desc, v.period_type_rank desc
    ) = 1
),

-- Plan years in the window (whether due yet or not) with their values.
plan_years as (
    select
        e.target_code,
        e.evaluation_date,
        p.period_year,
        p.period_end,
        p.period_end <= e.evaluation_date and p.has_ended as is_due,
        v.value,
        v.numerator_base,
        v.denominator_base,
        v.is_sample
    from evaluations as e
    inner join targets as t on e.target_code = t.target_code
    inner join periods as p
        on p.period_type = 'year' and p.period_end between t.period_start and t.period_end
    left join indicator_values as v
        on
            t.indicator_code = v.indicator_code
            and t.region_code = v.region_code
            and p.period_code = v.period_code
),

yearly as (
    select
        y.target_code,
        y.evaluation_date,
        count(*) as plan_years,
        count(*) filter (where y.is_due) as plan_years_due,
        count(y.value) filter (where y.is_due) as plan_years_with_value,
        sum(y.value) filter (where y.is_due) as sum_of_years,
        avg(y.value) filter (where y.is_due) as average_of_years,
        min(y.value) filter (where y.is_due) as min_of_years,
        count(*) filter (
            where y.is_due and y.value is not null and not {{ meets('y.value', 't.target_value', 't.comparator') }}
        )
            as plan_years_failed,
        max(y.period_year) filter (where y.is_due and y.value is not null) as last_year_with_value,
        {{ ordered_string_agg(
            "y.period_year || '年'", "'、'", order_by='y.period_year', where='y.is_due and y.value is null'
        ) }} as missing_plan_years,
        {{ ordered_string_agg(
            "y.period_year || '年'", "'、'", order_by='y.period_year',
            where='y.is_due and y.value is not null and not ' ~ meets('y.value', 't.target_value', 't.comparator')
        ) }} as failed_plan_years,
        max(y.period_year) as last_plan_year,
        max(y.period_end) as last_plan_year_end,
        bool_or(y.is_sample) filter (where y.is_due) as is_sample
    from plan_years as y
    inner join targets as t on y.target_code = t.target_code
    group by 1, 2
),

-- Σ over the window at the finest period type the indicator has values in (flows: cumulative and
-- share targets). A period of the window without a value is counted as missing.
window_sums as (
    select
        e.target_code,
        e.evaluation_date,
        count(*) as window_periods,
        count(v.value) as window_periods_with_value,
        sum(v.value) as window_sum,
        sum(v.numerator_base) filter (where v.value is not null) as window_numerator,
        sum(v.denominator_base) filter (where v.value is not null) as window_denominator,
        max(p.period_end) filter (where v.value is not null) as window_data_end,
        min_by(p.period_label, p.period_end) filter (where v.value is null) as first_missing_period,
        max_by(p.period_label, p.period_end) filter (where v.value is null) as last_missing_period,
        any_value(p.period_type) as window_period_type,
        bool_or(v.is_sample) as is_sample
    from evaluations as e
    inner join targets as t on e.target_code = t.target_code
    inner join finest_grain as g on t.indicator_code = g.indicator_code and t.region_code = g.region_code
    inner join periods as p
        on
            g.period_type_rank = p.period_type_rank
            and p.has_ended
            and p.period_end between t.period_start and e.evaluation_date
    left join indicator_values as v
        on
            t.indicator_code = v.indicator_code
            and t.region_code = v.region_code
            and p.period_code = v.period_code
    group by 1, 2
),

-- The baseline year's value from patent records, for baseline years no form covers (e.g. 2017 for 002).
record_baselines as (
    select * from {{ ref('int_target_record_baselines') }}
),

-- Year-on-year changes from the baseline year (if any) through the due plan years.
series as (
    select
        e.target_code,
        e.evaluation_date,
        p.period_year,
        coalesce(v.value, rb.value) as value,
        w.value as other_value
    from evaluations as e
    inner join targets as t on e.target_code = t.target_code
    inner join periods as p
        on
            p.period_type = 'year'
            and p.has_ended
            and e.evaluation_date >= p.period_end
            and (
                p.period_end between t.period_start and t.period_end
                or p.period_year = coalesce(t.baseline_year, year(t.period_start) - 1)
            )
    left join indicator_values as v
        on t.indicator_code = v.indicator_code and t.region_code = v.region_code and p.period_code = v.period_code
    left join record_baselines as rb on t.target_code = rb.target_code and t.baseline_year = p.period_year
    left join indicator_values as w
        on
            t.compare_indicator_code = w.indicator_code
            and t.region_code = w.region_code
            and p.period_code = w.period_code
),

changes as (
    select
        *,
        lag(value) over w as previous_value,
        lag(other_value) over w as other_previous_value,
        lag(period_year) over w as previous_year
    from series
    window w as (partition by target_code, evaluation_date order by period_year)
),

trend as (
    select
        target_code,
        evaluation_date,
        count(*) filter (where value is not null and previous_value is not null) as changes_counted,
        count(*) filter (where value > previous_value) as changes_up,
        {{ ordered_string_agg(
            "period_year || '年'", "'、'", order_by='period_year',
            where='value is not null and previous_value is not null and value <= previous_value'
        ) }} as years_not_up,
        count(*) filter (
            where value is not null and previous_value <> 0 and other_value is not null and other_previous_value <> 0
        ) as growth_years_counted,
        count(*) filter (
            where previous_value <> 0 and other_previous_value <> 0
            and {{ divide('value', 'previous_value') }} >= {{ divide('other_value', 'other_previous_value') }}
        ) as growth_years_met,
        max_by(
            ({{ divide('value', 'previous_value') }} - 1) * 100, period_year
        ) filter (where previous_value <> 0 and value is not null) as latest_growth_pct,
        max_by(
            ({{ divide('other_value', 'other_previous_value') }} - 1) * 100, period_year
        ) filter (where other_previous_value <> 0 and other_value is not null) as latest_other_growth_pct
    from changes
    group by 1, 2
),

baselines as (
    select
        t.target_code,
        coalesce(t.catalogue_baseline_value, b.value, rb.value, i.value) as baseline_value,
        case
            when t.catalogue_baseline_value is not null then 'catalogue'
            when b.value is not null then 'data'
            when rb.value is not null then 'records'
            when i.value is not null then 'implied'
        end as baseline_source,
        case
            when t.catalogue_baseline_value is not null and t.baseline_year is not null
                then make_date(t.baseline_year, 12, 31)
            when t.catalogue_baseline_value is not null then null
            when coalesce(b.value, rb.value) is not null then make_date(t.baseline_year, 12, 31)
            when i.value is not null then make_date(year(t.period_start) - 1, 12, 31)
        end as baseline_date
    from targets as t
    left join record_baselines as rb on t.target_code = rb.target_code
    left join indicator_values as b
        on
            t.indicator_code = b.indicator_code
            and t.region_code = b.region_code
            and b.period_code = cast(t.baseline_year as string)
    left join indicator_values as i
        on
            t.baseline_year is null
            and t.indicator_code = i.indicator_code
            and t.region_code = i.region_code
            and i.period_code = cast(year(t.period_start) - 1 as string)
),

latest_years as (
    select
        target_code,
        evaluation_date,
        period_year as latest_year,
        value as latest_year_value
    from plan_years
    where is_due and value is not null
    qualify row_number() over (partition by target_code, evaluation_date order by period_year desc) = 1
),

assembled as (
    select
        t.*,
        e.evaluation_date,
        e.is_current,
        e.evaluation_date >= t.period_end as window_ended,
        b.baseline_value,
        b.baseline_source,
        b.baseline_date,
        l.latest_value,
        l.latest_period_code,
        l.latest_period_label,
        l.latest_period_end,
        l.latest_value_sources,
        rp.required_period_code,
        rp.required_period_label,
        rp.required_data_end,
        y.plan_years,
        y.plan_years_due,
        y.plan_years_with_value,
        y.sum_of_years,
        y.average_of_years,
        y.min_of_years,
        y.plan_years_failed,
        y.missing_plan_years,
        y.failed_plan_years,
        y.last_year_with_value,
        y.last_plan_year,
        s.window_periods,
        s.window_periods_with_value,
        case
            when rw.exact_window_value is not null and not t.has_denominator then rw.exact_window_value
            else s.window_sum
        end as window_sum,
        s.window_data_end,
        s.first_missing_period,
        s.last_missing_period,
        -- Patent-record indicators are cut at the window's exact dates (int_target_record_windows).
        case
            when rw.exact_window_value is not null and t.has_denominator then rw.exact_window_value
            when s.window_denominator <> 0
                then cast(
                    {{ divide('s.window_numerator', 's.window_denominator') }} * t.factor / t.unit_factor
                    as decimal(38, 12)
                )
        end as window_share,
        rw.exact_window_value is not null as window_is_exact,
        tr.changes_counted,
        tr.changes_up,
        tr.years_not_up,
        tr.growth_years_counted,
        tr.growth_years_met,
        tr.latest_growth_pct,
        tr.latest_other_growth_pct,
        ly.latest_year,
        ly.latest_year_value,
        rk.rank_year,
        rk.worst_rank,
        rk.ranks_text,
        rk.rank_missing_reason,
        coalesce(l.is_sample, false) or coalesce(y.is_sample, false) or coalesce(s.is_sample, false)
        or (b.baseline_source = 'records' and coalesce(rb.is_sample, false)) as is_sample
    from evaluations as e
    inner join targets as t on e.target_code = t.target_code
    inner join baselines as b on e.target_code = b.target_code
    left join latest as l on e.target_code = l.target_code and e.evaluation_date = l.evaluation_date
    left join yearly as y on e.target_code = y.target_code and e.evaluation_date = y.evaluation_date
    left join window_sums as s on e.target_code = s.target_code and e.evaluation_date = s.evaluation_date
    left join trend as tr on e.target_code = tr.target_code and e.evaluation_date = tr.evaluation_date
    left join latest_years as ly on e.target_code = ly.target_code and e.evaluation_date = ly.evaluation_date
    left join required_periods as rp on e.target_code = rp.target_code
    left join record_baselines as rb on e.target_code = rb.target_code
    left join {{ ref('int_target_record_windows') }} as rw
        on e.target_code = rw.target_code and e.evaluation_date = rw.evaluation_date
    left join {{ ref('int_target_rankings') }} as rk
        on e.target_code = rk.target_code and e.evaluation_date = rk.evaluation_date
)

select * from assembled
