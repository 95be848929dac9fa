-- The baseline year's indicator value computed from patent-record elements alone (the same
-- formula as int_indicator_values), for targets whose baseline year no form covers (e.g. 2017 for
-- 002): one row per target with a baseline year; value null when a term has no record figure.
with

targets as (
    select
        t.target_code,
        t.region_code,
        t.indicator_code,
        case when {{ regex_full_match('t.baseline_period', '[0-9]{4}') }} then cast(t.baseline_period as integer) end
            as baseline_year,
        d.has_denominator,
        d.factor,
        d.unit_factor
    from {{ ref('int_plan_targets') }} as t
    inner join {{ ref('int_indicator_definitions') }} as d on t.indicator_code = d.indicator_code
),

record_terms as (
    select
        t.target_code,
        it.term_role,
        it.coefficient * u.to_base_factor * r.value as weighted_value,
        r.is_sample
    from targets as t
    inner join {{ ref('indicator_terms') }} as it on t.indicator_code = it.indicator_code
    inner join {{ ref('data_elements') }} as de on it.element_code = de.element_code
    inner join {{ ref('units') }} as u on de.unit_code = u.unit_code
    left join {{ ref('int_element_values__records') }} as r
        on
            it.element_code = r.element_code
            and t.region_code = r.region_code
            and r.period_code = cast(t.baseline_year as string)
    where t.baseline_year is not null
),

record_baselines as (
    select
        r.target_code,
        case
            when count(*) filter (where r.weighted_value is null) > 0 then null
            when not any_value(t.has_denominator)
                then cast(
                    {{ divide('sum(r.weighted_value) * any_value(t.factor)', 'any_value(t.unit_factor)') }}
                    as decimal(38, 12)
                )
            when sum(r.weighted_value) filter (where r.term_role = 'denominator') <> 0
                then cast(
                    {{ divide(
                        "sum(r.weighted_value) filter (where r.term_role = 'numerator')",
                        "sum(r.weighted_value) filter (where r.term_role = 'denominator')"
                    ) }}
                    * any_value(t.factor) / any_value(t.unit_factor) as decimal(38, 12)
                )
        end as value,
        coalesce(bool_or(r.is_sample), false) as is_sample
    from record_terms as r
    inner join targets as t on r.target_code = t.target_code
    group by 1
)

select * from record_baselines
