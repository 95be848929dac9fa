-- 重点任务推进情况总表。One row per task of plan_tasks, reported or not: its units, the latest report
-- (latest period, then latest received), and whether it is overdue as of var as_of: the deadline has
-- passed and the latest reported status is not a done status (task_statuses.is_done).
with units as (
    select distinct
        tu.task_code,
        tu.unit_role,
        tu.department_code,
        d.department_name,
        tu.role_status
    from {{ ref('task_units') }} as tu
    inner join {{ ref('departments') }} as d on tu.department_code = d.department_code
),

unit_lists as (
    select
        task_code,
        {{ ordered_string_agg(
            'department_name', "'、'", order_by='department_name', distinct=true, where="unit_role = 'lead'"
        ) }} as lead_units,
        {{ ordered_string_agg(
            'department_name', "'、'", order_by='department_name', distinct=true, where="unit_role = 'responsible'"
        ) }} as responsible_units,
        -- 003 names only 责任单位: its first unit taken as lead is our reading.
        coalesce(bool_or(role_status = 'inferred') filter (where unit_role = 'lead'), false) as lead_is_inferred
    from units
    group by task_code
),

latest as (
    select * from {{ ref('fct_task_reports') }}
    qualify row_number() over (partition by task_code order by period_end desc, received_at desc) = 1
),

judged as (
    select
        t.*,
        p.plan_title,
        l.period_code as latest_report_period,
        l.reported_status,
        l.reported_progress,
        l.received_at as reported_at,
        l.is_sample as report_is_sample,
        t.deadline is not null
        and t.deadline < {{ as_of_date() }}
        and not coalesce(l.is_done, false) as is_overdue
    from {{ ref('plan_tasks') }} as t
    inner join {{ ref('plans') }} as p on t.plan_code = p.plan_code
    left join latest as l on t.task_code = l.task_code
)

select
    j.plan_code,
    j.plan_title,
    j.task_code,
    j.task_group_no,
    j.task_group,
    j.item_no,
    j.title,
    j.content,
    j.deadline,
    j.deadline_text,
    j.content_status,
    u.lead_units,
    coalesce(u.lead_is_inferred, false) as lead_is_inferred,
    u.responsible_units,
    j.latest_report_period,
    j.reported_status,
    j.reported_progress,
    j.reported_at,
    j.is_overdue,
    case when j.is_overdue then {{ days_between('j.deadline', as_of_date()) }} else 0 end as days_overdue,
    coalesce(j.report_is_sample, false) as is_sample,
    j.citation
from judged as j
left join unit_lists as u on j.task_code = u.task_code
