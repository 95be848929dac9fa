-- Every indicator of the catalogue for every region and period, from one generic formula:
--   value = Σ(coefficient × numerator element) ÷ Σ(coefficient × denominator element) × factor,
-- computed in base units (元, 件, 人) and expressed in the indicator's unit. An indicator without a
-- denominator is Σ numerator × factor. A missing input or a zero denominator gives null with a reason.
-- A stock denominator told only yearly (population) is taken, for a month or quarter, from the same
-- year, else the year before (denominator_period says which).
with

indicators as (
    select * from {{ ref('int_indicator_definitions') }}
),

terms as (
    select
        t.indicator_code,
        t.term_role,
        t.element_code,
        t.coefficient,
        de.aggregation,
        u.to_base_factor as element_factor
    from {{ ref('indicator_terms') }} as t
    inner join {{ ref('data_elements') }} as de on t.element_code = de.element_code
    inner join {{ ref('units') }} as u on de.unit_code = u.unit_code
),

element_values as (
    select
        element_code,
        region_code,
        period_code,
        period_type,
        period_year,
        value,
        ytd_value,
        -- a region whose child units are not all catalogued has no summed total (see the roll-up)
        not coalesce(is_fully_catalogued, true) as is_partially_catalogued,
        is_sample
    from {{ ref('int_element_values__rolled_up') }}
),

frame as (
    select distinct
        t.indicator_code,
        v.region_code,
        v.period_code,
        v.period_type,
        v.period_year
    from terms as t
    inner join element_values as v on t.element_code = v.element_code
    where t.term_role = 'numerator'
),

term_values as (
    select
        f.indicator_code,
        f.region_code,
        f.period_code,
        t.term_role,
        t.coefficient * t.element_factor as weight,
        case when v.element_code is not null then v.value else coalesce(vy.value, vp.value) end as value,
        case when v.element_code is not null then v.ytd_value else coalesce(vy.value, vp.value) end as ytd_value,
        case
            when v.element_code is null and vy.value is not null then vy.period_code
            when v.element_code is null and vp.value is not null then vp.period_code
        end as fallback_period,
        coalesce(v.is_partially_catalogued and v.value is null, false) as is_missing_for_coverage,
        coalesce(v.is_sample, vy.is_sample, vp.is_sample, false) as is_sample
    from frame as f
    inner join terms as t on f.indicator_code = t.indicator_code
    left join element_values as v
        on t.element_code = v.element_code and f.region_code = v.region_code and f.period_code = v.period_code
    left join element_values as vy
        on
            v.element_code is null
            and t.term_role = 'denominator'
            and t.aggregation = 'stock'
            and t.element_code = vy.element_code
            and f.region_code = vy.region_code
            and vy.period_code = cast(f.period_year as string)
    left join element_values as vp
        on
            v.element_code is null
            and vy.value is null
            and t.term_role = 'denominator'
            and t.aggregation = 'stock'
            and t.element_code = vp.element_code
            and f.region_code = vp.region_code
            and vp.period_code = cast(f.period_year - 1 as string)
),

summed as (
    select
        indicator_code,
        region_code,
        period_code,
        cast(sum(weight * value) filter (where term_role = 'numerator') as decimal(38, 6)) as numerator_base,
        cast(sum(weight * value) filter (where term_role = 'denominator') as decimal(38, 6)) as denominator_base,
        cast(sum(weight * ytd_value) filter (where term_role = 'numerator') as decimal(38, 6)) as ytd_numerator_base,
        cast(sum(weight * ytd_value) filter (where term_role = 'denominator') as decimal(38, 6))
            as ytd_denominator_base,
        count(*) filter (where term_role = 'numerator' and value is null) as numerator_missing,
        count(*) filter (where term_role = 'denominator' and value is null) as denominator_missing,
        count(*) filter (where term_role = 'numerator' and ytd_value is null) as ytd_numerator_missing,
        count(*) filter (where term_role = 'denominator' and ytd_value is null) as ytd_denominator_missing,
        max(fallback_period) as denominator_period,
        bool_or(is_missing_for_coverage) as is_missing_for_coverage,
        bool_or(is_sample) as is_sample
    from term_values
    group by 1, 2, 3
)

select
    s.indicator_code,
    s.region_code,
    f.period_code,
    f.period_type,
    f.period_year,
    s.numerator_base,
    s.denominator_base,
    s.denominator_period,
    case
        when s.numerator_missing > 0 then null
        when not i.has_denominator then {{ from_base_unit('s.numerator_base * i.factor', 'i.unit_factor') }}
        when s.denominator_missing > 0 or s.denominator_base = 0 then null
        else cast({{ divide('s.numerator_base', 's.denominator_base') }} * i.factor / i.unit_factor as decimal(38, 12))
    end as value,
    case
        when s.is_missing_for_coverage and (s.numerator_missing > 0 or s.denominator_missing > 0)
            then '目录只列出部分下级区划，不给合计'
        when s.numerator_missing > 0 then '分子数据缺失'
        when not i.has_denominator then null
        when s.denominator_missing > 0 then '分母数据缺失'
        when s.denominator_base = 0 then '分母为零'
    end as null_reason,
    s.ytd_numerator_base,
    s.ytd_denominator_base,
    case
        when s.ytd_numerator_missing > 0 then null
        when not i.has_denominator then {{ from_base_unit('s.ytd_numerator_base * i.factor', 'i.unit_factor') }}
        when s.ytd_denominator_missing > 0 or s.ytd_denominator_base = 0 then null
        else cast(
            {{ divide('s.ytd_numerator_base', 's.ytd_denominator_base') }} * i.factor / i.unit_factor as decimal(38, 12)
        )
    end as ytd_value,
    s.is_sample
from summed as s
inner join frame as f
    on s.indicator_code = f.indicator_code and s.region_code = f.region_code and s.period_code = f.period_code
inner join indicators as i on s.indicator_code = i.indicator_code
