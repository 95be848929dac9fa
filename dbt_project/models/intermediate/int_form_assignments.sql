-- Which department submits which form: departments of the form's kind at its region levels.
select
    f.form_code,
    f.form_name,
    f.table_no,
    f.period_type,
    f.due_days,
    f.template_version,
    f.source_kind,
    d.department_code,
    d.department_name,
    d.region_code,
    r.region_name,
    d.department_level,
    r.valid_from as region_valid_from,
    r.valid_to as region_valid_to
from {{ ref('forms') }} as f
inner join {{ ref('departments') }} as d
    on
        f.department_kind = d.department_kind
        and {{ split_contains('f.region_levels', '|', 'd.department_level') }}
inner join {{ ref('regions') }} as r on d.region_code = r.region_code
where d.submits_data
