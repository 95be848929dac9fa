-- One row per figure of an accepted submission, in the element's catalogue unit (null = left blank).
select
    submission_id,
    version,
    form_code,
    department_code,
    region_code,
    period as period_code,
    period_type,
    element_code,
    value,
    sheet,
    cell,
    file_sha256,
    received_at,
    is_sample
from {{ source('raw', 'submission_values') }}
