-- Which department submits which form (built in int_form_assignments, which the regional roll-up reads
-- too, so that no intermediate model reads a mart).
select
    form_code,
    form_name,
    table_no,
    period_type,
    due_days,
    template_version,
    source_kind,
    department_code,
    department_name,
    region_code,
    region_name,
    department_level,
    region_valid_from,
    region_valid_to
from {{ ref('int_form_assignments') }}
