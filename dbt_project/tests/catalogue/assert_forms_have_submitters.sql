-- Every form has at least one submitting department of its kind at one of its region levels,
-- and every submitting department has at least one form.
with assignments as (
    select
        f.form_code,
        d.department_code
    from {{ ref('forms') }} as f
    inner join {{ ref('departments') }} as d
        on
            f.department_kind = d.department_kind
            and {{ split_contains('f.region_levels', '|', 'd.department_level') }}
            and d.submits_data
)

select
    f.form_code as missing,
    'form without submitter' as problem
from {{ ref('forms') }} as f
where f.form_code not in (select a.form_code from assignments as a)
union all
select
    d.department_code,
    'submitting department without form' as problem
from {{ ref('departments') }} as d
where d.submits_data and d.department_code not in (select a.department_code from assignments as a)
