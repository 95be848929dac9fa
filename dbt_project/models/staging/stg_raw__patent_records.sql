-- One row per patent application per extract, with the day the patent stopped being valid.
select
    extract_id,
    application_no,
    patent_type,
    application_date,
    grant_date,
    applicant_name,
    applicant_type,
    is_hightech_firm,
    is_service_invention,
    agency_name,
    agency_name is not null and trim(agency_name) <> '' as is_agency_filed,
    region_code,
    legal_status,
    lapse_date,
    ipc_main,
    is_pct,
    is_abroad,
    is_high_value,
    -- Valid from the grant until valid_until (exclusive): a lapsed patent without a lapse date, or a
    -- granted one later rejected or withdrawn, is counted as never valid.
    case
        when grant_date is null then null
        when legal_status = 'valid' then date '9999-12-31'
        when legal_status = 'lapsed' then coalesce(lapse_date, grant_date)
        else grant_date
    end as valid_until
from {{ source('raw', 'patent_records') }}
