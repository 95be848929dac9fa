-- Target dates and evaluation windows lie inside their plan's period.
select
    t.target_code,
    t.target_date,
    t.period_start,
    t.period_end,
    p.start_date,
    p.end_date
from {{ ref('plan_targets') }} as t
inner join {{ ref('plans') }} as p on t.plan_code = p.plan_code
where
    t.target_date not between p.start_date and p.end_date
    or t.period_start < p.start_date
    or t.period_end > p.end_date
    or t.period_start > t.period_end
