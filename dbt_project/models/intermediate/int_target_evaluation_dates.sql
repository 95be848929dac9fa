-- The dates each target is judged at: every year end inside its window before the current
-- evaluation, and the current evaluation (the as-of day, or the window's end once it is over).
with

targets as (
    select
        target_code,
        period_start,
        period_end
    from {{ ref('int_plan_targets') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

current_points as (
    select
        target_code,
        least({{ as_of_date() }}, period_end) as evaluation_date,
        true as is_current
    from targets
),

evaluations as (
    select
        target_code,
        evaluation_date,
        is_current
    from current_points
    union all
    select
        t.target_code,
        p.period_end as evaluation_date,
        false as is_current
    from targets as t
    inner join current_points as c on t.target_code = c.target_code
    inner join periods as p
        on p.period_type = 'year' and p.period_end between t.period_start and t.period_end
    where p.period_end < c.evaluation_date
)

select * from evaluations
