-- A per-capita indicator divides by the population element its population_basis names.
select
    i.indicator_code,
    i.population_basis,
    d.element_code
from {{ ref('indicators') }} as i
inner join {{ ref('indicator_terms') }} as d
    on i.indicator_code = d.indicator_code and d.term_role = 'denominator'
where
    (d.element_code like 'population_%' or i.population_basis is not null)
    and d.element_code is distinct from 'population_' || i.population_basis
