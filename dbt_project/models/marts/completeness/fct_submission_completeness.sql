-- 报送及时性与完整性。One row per form × department × period: whether the form was expected, received,
-- accepted on time (by its due day: period end + the form's due_days), late, or is missing.
-- A department is expected from var completeness_from (else the form's first submitted period) for
-- every period that has ended, while its region exists at the period's end. Submissions from
-- departments not assigned the form are kept with is_expected = false.
with

periods as (
    select * from {{ ref('int_periods') }}
    where has_ended
),

submissions as (
    select * from {{ ref('stg_raw__submissions') }}
    where
        form_code is not null and department_code is not null and period_code is not null
        and cast(received_at as date) <= {{ as_of_date() }}
),

form_starts as (
    select
        f.form_code,
        coalesce(
            {% if var('completeness_from', none) -%}
                cast('{{ var("completeness_from") }}' as date)
            {%- else -%}
                null
            {%- endif %},
            min(p.period_start)
        ) as expected_from
    from {{ ref('forms') }} as f
    left join submissions as s on f.form_code = s.form_code
    left join periods as p on s.period_code = p.period_code
    group by 1
),

expected as (
    select
        a.form_code,
        a.department_code,
        a.region_code,
        p.period_code,
        p.period_end,
        a.due_days
    from {{ ref('dim_form_assignments') }} as a
    inner join form_starts as fs on a.form_code = fs.form_code
    inner join periods as p
        on
            a.period_type = p.period_type
            and fs.expected_from <= p.period_start
            and (a.region_valid_from is null or a.region_valid_from <= p.period_end)
            and (a.region_valid_to is null or a.region_valid_to >= p.period_end)
),

received as (
    select
        form_code,
        department_code,
        period_code,
        any_value(region_code) as region_code,
        count(*) as files_received,
        count(*) filter (where is_accepted) as files_accepted,
        count(*) filter (where not is_accepted) as files_rejected,
        min(received_at) as first_received_at,
        min(received_at) filter (where is_accepted) as first_accepted_at,
        max(version) as latest_version,
        bool_or(is_sample) as is_sample
    from submissions
    group by 1, 2, 3
),

joined as (
    select
        coalesce(e.form_code, r.form_code) as form_code,
        coalesce(e.department_code, r.department_code) as department_code,
        coalesce(e.region_code, r.region_code) as region_code,
        coalesce(e.period_code, r.period_code) as period_code,
        e.form_code is not null as is_expected,
        r.files_received,
        r.files_accepted,
        r.files_rejected,
        r.first_received_at,
        r.first_accepted_at,
        r.latest_version,
        coalesce(r.is_sample, false) as is_sample
    from expected as e
    full outer join received as r
        on e.form_code = r.form_code and e.department_code = r.department_code and e.period_code = r.period_code
)

select
    j.form_code,
    f.form_name,
    f.table_no,
    j.department_code,
    d.department_name,
    j.region_code,
    j.period_code,
    f.period_type,
    p.period_end,
    f.due_days,
    p.period_end + f.due_days as due_date,
    j.is_expected,
    coalesce(j.files_received, 0) as files_received,
    coalesce(j.files_accepted, 0) as files_accepted,
    coalesce(j.files_rejected, 0) as files_rejected,
    j.first_received_at,
    j.first_accepted_at,
    j.latest_version,
    coalesce(j.files_accepted, 0) > 0 as is_received,
    coalesce(cast(j.first_accepted_at as date) <= p.period_end + f.due_days, false) as is_on_time,
    coalesce(cast(j.first_accepted_at as date) > p.period_end + f.due_days, false) as is_late,
    coalesce(j.files_accepted, 0) = 0 and p.period_end + f.due_days < {{ as_of_date() }} as is_missing,
    case
        when cast(j.first_accepted_at as date) > p.period_end + f.due_days
            then {{ days_between('p.period_end + f.due_days', 'cast(j.first_accepted_at as date)') }}
    end as days_late,
    case
        when coalesce(j.files_accepted, 0) > 0 and cast(j.first_accepted_at as date) <= p.period_end + f.due_days
            then '按时'
        when coalesce(j.files_accepted, 0) > 0 then '逾期'
        when p.period_end + f.due_days >= {{ as_of_date() }} then '未到期'
        when coalesce(j.files_rejected, 0) > 0 then '缺报（已退回）'
        else '缺报'
    end as submission_status,
    j.is_sample
from joined as j
inner join {{ ref('forms') }} as f on j.form_code = f.form_code
inner join periods as p on j.period_code = p.period_code and f.period_type = p.period_type
left join {{ ref('departments') }} as d on j.department_code = d.department_code
