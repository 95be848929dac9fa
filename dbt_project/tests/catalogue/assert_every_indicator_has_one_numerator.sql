-- Every indicator has numerator terms; ratio units (%, per 10k) also need a denominator.
with terms as (
    select
        indicator_code,
        count(*) filter (where term_role = 'numerator') as n_numerator,
        count(*) filter (where term_role = 'denominator') as n_denominator
    from {{ ref('indicator_terms') }}
    group by indicator_code
)

select
    i.indicator_code,
    coalesce(t.n_numerator, 0) as n_numerator,
    coalesce(t.n_denominator, 0) as n_denominator
from {{ ref('indicators') }} as i
left join terms as t on i.indicator_code = t.indicator_code
where
    coalesce(t.n_numerator, 0) = 0
    or (i.factor <> 1 and coalesce(t.n_denominator, 0) = 0)
