-- What each target is judged on, per evaluation date: the latest value, the plan years' values
-- (sum, mean, min, years failing), sums over the window at the indicator's finest period type
-- (and Σ numerators ÷ Σ denominators), year-on-year changes from the baseline year, the baseline.
-- Data count when their period ends inside the window [period_start, evaluation_date]; a plan
-- year is a calendar year whose 31 December lies in the window.
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
        case when regexp_full_match(t.baseline_period, '\d{4}') then cast(t.baseline_period as integer) end
            as baseline_year,
        t.compare_indicator_code,
        t.reported_actual,
        t.reported_actual_period,
        d.indicator_type,
        d.is_point_in_time,
        d.factor,
        d.unit_factor
    from {{ ref('dim_plan_targets') }} as t
    inner join {{ ref('int_indicator_definitions') }} as d on t.indicator_code = d.indicator_code
),

periods as (
    select * from {{ ref('int_periods') }}
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
        v.value,
        v.numerator_base,
        v.denominator_base,
        v.is_sample
    from {{ ref('int_indicator_values') }} as v
    inner join periods as p on v.period_code = p.period_code
    where p.has_ended
),

evaluations as (
    select * from {{ ref('int_target_evaluation_dates') }}
),

-- The latest value at or before the evaluation date (latest complete year for flow indicators).
latest as (
    select
        e.target_code,
        e.evaluation_date,
        v.value as latest_value,
        v.period_code as latest_period_code,
        v.period_type as latest_period_type,
        v.period_end as latest_period_end,
        v.is_sample
    from evaluations as e
    inner join targets as t on e.target_code = t.target_code
    inner join indicator_values as v
        on
            t.indicator_code = v.indicator_code
            and t.region_code = v.region_code
            and e.evaluation_date >= v.period_end
            and v.value is not null
            and (t.is_point_in_time or v.period_type = 'year')
    qualify row_number() over (
        partition by e.target_code, e.evaluation_date order by v.period_end desc, v.period_type_rank desc
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
        max(y.period_year) as last_plan_year,
        max(y.period_end) as last_plan_year_end,
        bool_or(y.is_sample) filter (where y.is_due) as is_sample
    from plan_years as y
    inner join targets as t on y.target_code = t.target_code
    group by 1, 2
),

-- Σ over the window at the finest period type the indicator has values in (flows: cumulative and
-- share targets). A period of the window without a value is counted as missing.
finest_grain as (
    select
        indicator_code,
        region_code,
        min(period_type_rank) as period_type_rank
    from indicator_values
    where value is not null
    group by 1, 2
),

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

-- Year-on-year changes from the baseline year (if any) through the due plan years.
series as (
    select
        e.target_code,
        e.evaluation_date,
        p.period_year,
        v.value,
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
        count(*) filter (
            where value is not null and previous_value <> 0 and other_value is not null and other_previous_value <> 0
        ) as growth_years_counted,
        count(*) filter (
            where previous_value <> 0 and other_previous_value <> 0
            and value / previous_value >= other_value / other_previous_value
        ) as growth_years_met,
        arg_max(
            (value / previous_value - 1) * 100, period_year
        ) filter (where previous_value <> 0 and value is not null) as latest_growth_pct,
        arg_max(
            (other_value / other_previous_value - 1) * 100, period_year
        ) filter (where other_previous_value <> 0 and other_value is not null) as latest_other_growth_pct
    from changes
    group by 1, 2
),

baselines as (
    select
        t.target_code,
        coalesce(t.catalogue_baseline_value, b.value, i.value) as baseline_value,
        case
            when t.catalogue_baseline_value is not null then 'catalogue'
            when b.value is not null then 'data'
            when i.value is not null then 'implied'
        end as baseline_source,
        case
            when t.catalogue_baseline_value is not null and t.baseline_year is not null
                then make_date(t.baseline_year, 12, 31)
            when t.catalogue_baseline_value is not null then null
            when b.value is not null then make_date(t.baseline_year, 12, 31)
            when i.value is not null then make_date(year(t.period_start) - 1, 12, 31)
        end as baseline_date
    from targets as t
    left join indicator_values as b
        on
            t.indicator_code = b.indicator_code
            and t.region_code = b.region_code
            and b.period_code = cast(t.baseline_year as varchar)
    left join indicator_values as i
        on
            t.baseline_year is null
            and t.indicator_code = i.indicator_code
            and t.region_code = i.region_code
            and i.period_code = cast(year(t.period_start) - 1 as varchar)
),

-- The last period end of the latest value's period type that falls inside the window: data
-- reaching it let a target be judged finally.
final_period_ends as (
    select
        t.target_code,
        p.period_type,
        max(p.period_end) as final_period_end
    from targets as t
    inner join periods as p on t.period_end >= p.period_end
    group by 1, 2
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
        l.latest_period_end,
        y.plan_years,
        y.plan_years_due,
        y.plan_years_with_value,
        y.sum_of_years,
        y.average_of_years,
        y.min_of_years,
        y.plan_years_failed,
        y.last_year_with_value,
        y.last_plan_year,
        s.window_periods,
        s.window_periods_with_value,
        s.window_sum,
        s.window_data_end,
        case
            when s.window_denominator <> 0
                then cast(s.window_numerator / s.window_denominator * t.factor / t.unit_factor as decimal(38, 12))
        end as window_share,
        tr.changes_counted,
        tr.changes_up,
        tr.growth_years_counted,
        tr.growth_years_met,
        tr.latest_growth_pct,
        tr.latest_other_growth_pct,
        f.final_period_end,
        ly.latest_year,
        ly.latest_year_value,
        coalesce(l.is_sample, false) or coalesce(y.is_sample, false) or coalesce(s.is_sample, false) as is_sample
    from evaluations as e
    inner join targets as t on e.target_code = t.target_code
    inner join baselines as b on e.target_code = b.target_code
    left join latest as l on e.target_code = l.target_code and e.evaluation_date = l.evaluation_date
    left join yearly as y on e.target_code = y.target_code and e.evaluation_date = y.evaluation_date
    left join window_sums as s on e.target_code = s.target_code and e.evaluation_date = s.evaluation_date
    left join trend as tr on e.target_code = tr.target_code and e.evaluation_date = tr.evaluation_date
    left join latest_years as ly on e.target_code = ly.target_code and e.evaluation_date = ly.evaluation_date
    left join final_period_ends as f
        on
            e.target_code = f.target_code
            and f.period_type = case
                when t.target_kind = 'cumulative_min' or (t.target_kind = 'share_min' and not t.is_point_in_time)
                    then s.window_period_type
                else l.latest_period_type
            end
)

select * from assembled
