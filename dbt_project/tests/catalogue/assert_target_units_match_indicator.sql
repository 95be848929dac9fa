-- A target is stated in a unit of the same dimension as its indicator, except growth targets,
-- which are percentages of growth, and ranks.
select
    t.target_code,
    t.target_unit_code,
    i.unit_code as indicator_unit_code
from {{ ref('plan_targets') }} as t
inner join {{ ref('indicators') }} as i on t.indicator_code = i.indicator_code
inner join {{ ref('units') }} as tu on t.target_unit_code = tu.unit_code
inner join {{ ref('units') }} as iu on i.unit_code = iu.unit_code
where
    case
        when t.target_kind in ('cagr_min', 'growth_at_least_other') then t.target_unit_code <> 'percent'
        -- A rank is a place in its peer set, whatever the compared indicator's unit.
        when t.target_kind = 'rank_max' then t.target_unit_code <> 'rank'
        else tu.dimension <> iu.dimension
    end
