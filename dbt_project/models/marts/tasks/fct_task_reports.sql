-- 重点任务推进情况（每任务每期最新一份）。One row per task × period: the latest accepted report
-- (highest version of the lead unit's form; the latest received when two lead units report), received
-- on or before var as_of.
with reports as (
    select * from {{ ref('stg_raw__task_reports') }}
    where cast(received_at as date) <= {{ as_of_date() }}
),

latest as (
    select * from reports
    qualify row_number() over (
        partition by task_code, period_code
        order by received_at desc, version desc, department_code asc
    ) = 1
)

select
    t.plan_code,
    r.task_code,
    r.period_code,
    r.period_type,
    r.period_end,
    r.department_code,
    d.department_name,
    r.status_name as reported_status,
    s.status_code,
    coalesce(s.is_done, false) as is_done,
    r.progress_text as reported_progress,
    r.submission_id,
    r.version,
    r.received_at,
    r.sheet,
    r.cell,
    r.is_sample
from latest as r
inner join {{ ref('plan_tasks') }} as t on r.task_code = t.task_code
left join {{ ref('departments') }} as d on r.department_code = d.department_code
left join {{ ref('task_statuses') }} as s on r.status_name = s.status_name
