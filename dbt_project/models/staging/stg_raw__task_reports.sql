-- One row per task on an accepted task-report form, every version; period_end derived from the code.
with reports as (
    select
        submission_id,
        version,
        task_code,
        department_code,
        period_code,
        status as status_name,
        progress_text,
        sheet,
        cell,
        progress_cell,
        sha256 as file_sha256,
        received_at,
        is_sample,
        cast(left(period_code, 4) as integer) as period_year,
        case
            when period_code like '____Q_' then 'quarter'
            when period_code like '____-__' then 'month'
            else 'year'
        end as period_type
    from {{ source('raw', 'task_reports') }}
)

select
    *,
    cast(case period_type
        when 'quarter'
            then
                make_date(period_year, cast(right(period_code, 1) as integer) * 3 - 2, 1)
                + interval 3 month - interval 1 day
        when 'month'
            then make_date(period_year, cast(right(period_code, 2) as integer), 1) + interval 1 month - interval 1 day
        else make_date(period_year, 12, 31)
    end as date) as period_end
from reports
