-- 数据元取值。One row per data element × region × period (month, quarter, year): the value in
-- force after time and region aggregation, where it came from, 1–N月累计, and why it is missing.
select
    v.element_code,
    de.element_name,
    v.aggregation,
    v.region_code,
    r.region_name,
    r.region_level,
    v.period_code,
    v.period_type,
    v.period_year,
    v.period_no,
    v.period_start,
    v.period_end,
    de.unit_code,
    u.unit_name,
    v.value,
    cast(v.value * u.to_base_factor as decimal(38, 6)) as value_base,
    {{ round_to("v.value", "u.decimals") }} as value_display,
    v.value_source,
    v.value is not null as is_complete,
    case
        when v.value is not null then null
        else concat_ws(
            '；',
            case
                when v.reported_inputs_expected > 0
                    then
                        '本级报送不完整（应报' || v.reported_inputs_expected || '期，完整' || v.reported_inputs_present
                        || '期）'
            end,
            case
                when v.children_expected > 0 and v.is_region_additive and not v.children_complete
                    then '目录只列出部分下级区划（' || v.children_expected || '个），其合计不是本级总数'
                when v.children_expected > 0 and v.is_region_additive
                    then '下级区划不完整（' || v.children_present || '/' || v.children_expected || '）'
            end,
            case
                when coalesce(v.reported_inputs_expected, 0) = 0 and v.children_expected = 0
                    then '无数据'
            end
        )
    end as incomplete_reason,
    v.ytd_value,
    v.reported_value,
    v.reported_partial_value,
    v.reported_inputs_expected,
    v.reported_inputs_present,
    v.children_sum,
    v.children_partial_sum,
    v.children_expected,
    v.children_present,
    v.reported_value - v.children_sum as reported_minus_children,
    v.records_value,
    v.records_as_of,
    v.bulletin_value,
    v.is_region_additive,
    v.is_sample
from {{ ref('int_element_values__rolled_up') }} as v
inner join {{ ref('data_elements') }} as de on v.element_code = de.element_code
inner join {{ ref('units') }} as u on de.unit_code = u.unit_code
inner join {{ ref('regions') }} as r on v.region_code = r.region_code
