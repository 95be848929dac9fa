-- One row per registry event of an industry IP centre: designated, re_reviewed or revoked (004).
select
    event_id,
    centre_code,
    centre_name,
    applicant_name,
    applicant_kind,
    industry,
    region_code,
    event as event_kind,
    event_date,
    document_no,
    note,
    source,
    recorded_at,
    is_sample
from {{ source('raw', 'centre_registry') }}
