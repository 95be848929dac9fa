-- One row per indicator: its formula's shape (ratio or not, and how its numerator aggregates), factor
-- and unit, read from the catalogue (indicators, indicator_terms, data_elements, units).
with

shapes as (
    select
        t.indicator_code,
        bool_or(t.term_role = 'denominator') as has_denominator,
        min(de.aggregation) filter (where t.term_role = 'numerator') as numerator_aggregation,
        {{ ordered_string_agg(
            "case when t.coefficient <> 1 then cast(t.coefficient as string) || '×' else '' end || t.element_code",
            "' + '", order_by='t.element_code', where="t.term_role = 'numerator'"
        ) }} as numerator_formula,
        {{ ordered_string_agg(
            "case when t.coefficient <> 1 then cast(t.coefficient as string) || '×' else '' end || t.element_code",
            "' + '", order_by='t.element_code', where="t.term_role = 'denominator'"
        ) }} as denominator_formula
    from {{ ref('indicator_terms') }} as t
    inner join {{ ref('data_elements') }} as de on t.element_code = de.element_code
    group by 1
)

select
    i.indicator_code,
    i.indicator_name,
    i.unit_code,
    u.unit_name,
    u.decimals,
    i.factor,
    u.to_base_factor as unit_factor,
    i.population_basis,
    s.has_denominator,
    s.numerator_aggregation,
    case when s.has_denominator then 'ratio' else s.numerator_aggregation end as indicator_type,
    -- Judged on the latest value (stocks, rates, ratios of stocks) or summed over periods (flows).
    s.numerator_aggregation <> 'flow' as is_point_in_time,
    s.numerator_formula,
    s.denominator_formula
from {{ ref('indicators') }} as i
inner join {{ ref('units') }} as u on i.unit_code = u.unit_code
inner join shapes as s on i.indicator_code = s.indicator_code
