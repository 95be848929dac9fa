-- One row per loaded patent-record extract.
select
    extract_id,
    file_name,
    as_of as extract_as_of,
    row_count,
    loaded_at,
    is_sample
from {{ source('raw', 'patent_extracts') }}
