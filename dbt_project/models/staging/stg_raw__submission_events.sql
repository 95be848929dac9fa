-- One row per status change of a received file (received, accepted, rejected, superseded, approved, locked).
select
    submission_id,
    status,
    event_at,
    actor,
    note
from {{ source('raw', 'submission_events') }}
