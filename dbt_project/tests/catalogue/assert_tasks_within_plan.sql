-- Task deadlines fall within the plan, and every task has a lead or responsible unit unless
-- the seed lost them (units missing, or a damaged part of the page).
select
    t.task_code,
    'deadline outside plan' as problem
from {{ ref('plan_tasks') }} as t
inner join {{ ref('plans') }} as p on t.plan_code = p.plan_code
where t.deadline not between p.start_date and p.end_date
union all
select
    t.task_code,
    'no units' as problem
from {{ ref('plan_tasks') }} as t
where
    t.content_status not in ('units_missing_in_seed', 'damaged_in_seed')
    and t.task_code not in (select tu.task_code from {{ ref('task_units') }} as tu)
