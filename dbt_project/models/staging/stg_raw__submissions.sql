-- One row per received file (accepted or rejected), typed and renamed for the models above.
select
    submission_id,
    file_sha256,
    file_name,
    form_code,
    template_version,
    department_code,
    region_code,
    period as period_code,
    period_type,
    version,
    outcome,
    outcome = 'accepted' as is_accepted,
    error_count,
    warning_count,
    received_at,
    cast(received_at as date) as received_on,
    is_sample
from {{ source('raw', 'submissions') }}
