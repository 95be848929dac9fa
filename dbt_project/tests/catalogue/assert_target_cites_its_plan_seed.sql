-- Every target cites the seed file its plan comes from, with a section.
select
    t.target_code,
    t.seed_file,
    p.source_file
from {{ ref('plan_targets') }} as t
inner join {{ ref('plans') }} as p on t.plan_code = p.plan_code
where t.seed_file <> p.source_file or trim(t.seed_section) = ''
