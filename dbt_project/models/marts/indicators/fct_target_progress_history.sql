-- 目标进度历史。One row per plan target × evaluation date (each year end inside the window and the
-- as-of day): the target's progress as the data now stand for that date.
select
    e.target_code,
    e.evaluation_date,
    e.is_current,
    t.plan_code,
    t.plan_title,
    t.region_code,
    t.region_name,
    t.indicator_code,
    t.indicator_name,
    t.target_kind,
    t.target_kind_name,
    t.comparator,
    e.target_value,
    t.target_unit_name,
    e.current_value,
    e.current_value_source,
    e.data_end,
    e.completion_pct,
    e.time_elapsed_pct,
    e.pace_ratio,
    e.calendar_elapsed_pct,
    e.is_final,
    a.status,
    a.status_note,
    a.final_verdict,
    e.failed_plan_years,
    e.is_sample
from {{ ref('int_target_evaluations') }} as e
inner join {{ ref('int_target_aims') }} as a
    on e.target_code = a.target_code and e.evaluation_date = a.evaluation_date
inner join {{ ref('dim_plan_targets') }} as t on e.target_code = t.target_code
