-- The patent records of the newest extract (the current truth), with the extract's cut-off day.
with

newest_extract as (
    select
        extract_id,
        extract_as_of,
        is_sample
    from {{ ref('stg_raw__patent_extracts') }}
    qualify row_number() over (order by extract_as_of desc, loaded_at desc, extract_id desc) = 1
)

select
    r.application_no,
    r.patent_type,
    r.application_date,
    r.grant_date,
    r.applicant_name,
    r.applicant_type,
    r.is_hightech_firm,
    r.is_service_invention,
    r.is_agency_filed,
    r.region_code,
    r.legal_status,
    r.valid_until,
    r.is_pct,
    r.is_abroad,
    r.is_high_value,
    e.extract_id,
    e.extract_as_of,
    e.is_sample
from {{ ref('stg_raw__patent_records') }} as r
inner join newest_extract as e on r.extract_id = e.extract_id
