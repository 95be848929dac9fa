-- One row per annual work summary received from a centre (accepted or rejected).
select
    summary_id,
    centre_code,
    summary_year,
    sha256 as file_sha256,
    file_name,
    file_kind,
    received_at,
    cast(received_at as date) as received_on,
    outcome,
    outcome = 'accepted' as is_accepted,
    problem,
    is_sample
from {{ source('raw', 'centre_summaries') }}
