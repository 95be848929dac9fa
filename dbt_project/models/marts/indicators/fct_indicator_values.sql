-- 指标值。One row per indicator × region × period (month, quarter, year) with 同比, 环比 and
-- 1–N月累计 (and its 同比). Grain: indicator_code × region_code × period_code.
with

indicator_values as (
    select * from {{ ref('int_indicator_values') }}
)

select
    v.indicator_code,
    i.indicator_name,
    i.indicator_type,
    i.numerator_aggregation,
    v.region_code,
    r.region_name,
    r.region_level,
    v.period_code,
    v.period_type,
    v.period_year,
    p.period_no,
    p.period_start,
    p.period_end,
    p.period_label,
    i.unit_code,
    i.unit_name,
    v.value,
    {{ round_to("v.value", "i.decimals") }} as value_display,
    v.value is not null as is_complete,
    v.null_reason,
    v.numerator_base,
    v.denominator_base,
    v.denominator_period,
    ly.value as same_period_last_year_value,
    v.value - ly.value as yoy_change,
    {{ pct_change('v.value', 'ly.value') }} as yoy_pct,
    pv.value as previous_period_value,
    v.value - pv.value as mom_change,
    {{ pct_change('v.value', 'pv.value') }} as mom_pct,
    v.ytd_value,
    ly.ytd_value as ytd_last_year_value,
    v.ytd_value - ly.ytd_value as ytd_yoy_change,
    {{ pct_change('v.ytd_value', 'ly.ytd_value') }} as ytd_yoy_pct,
    v.is_sample or coalesce(ly.is_sample, false) or coalesce(pv.is_sample, false) as is_sample
from indicator_values as v
inner join {{ ref('int_periods') }} as p on v.period_code = p.period_code
inner join {{ ref('int_indicator_definitions') }} as i on v.indicator_code = i.indicator_code
inner join {{ ref('regions') }} as r on v.region_code = r.region_code
left join indicator_values as ly
    on
        v.indicator_code = ly.indicator_code
        and v.region_code = ly.region_code
        and p.same_period_last_year_code = ly.period_code
left join indicator_values as pv
    on
        v.indicator_code = pv.indicator_code
        and v.region_code = pv.region_code
        and p.previous_period_code = pv.period_code
