{{ config(materialized='ephemeral') }}
-- One row per centre as of var as_of: the catalogue seed (industry_centres) and the raw registry events.
-- designated_on = the latest designation; last_reviewed_on = the latest re-review after it (else the
-- designation); revoked_on = a revocation after the latest designation.
with events as (
    select
        centre_code,
        centre_name,
        applicant_name,
        applicant_kind,
        industry,
        region_code,
        event_kind,
        event_date,
        document_no,
        recorded_at,
        is_sample,
        null as citation
    from {{ ref('stg_raw__centre_registry') }}
    where event_date <= {{ as_of_date() }}
    union all
    select
        centre_code,
        centre_name,
        applicant_name,
        applicant_kind,
        industry,
        region_code,
        'designated' as event_kind,
        designated_on as event_date,
        null as document_no,
        null as recorded_at,
        false as is_sample,
        citation
    from {{ ref('industry_centres') }}
    where designated_on <= {{ as_of_date() }}
),

designations as (
    select * from events
    where event_kind = 'designated'
    qualify row_number() over (partition by centre_code order by event_date desc, recorded_at desc nulls last) = 1
),

later as (
    select
        e.centre_code,
        max(e.event_date) filter (where e.event_kind = 're_reviewed') as last_re_reviewed_on,
        max(e.event_date) filter (where e.event_kind = 'revoked') as revoked_on
    from events as e
    inner join designations as d on e.centre_code = d.centre_code and e.event_date >= d.event_date
    group by e.centre_code
),

programme as (
    select {{ ordered_string_agg('p.citation', "'; '", distinct=true) }} as citation
    from {{ ref('centre_programme_rules') }} as r
    inner join {{ ref('plans') }} as p on r.plan_code = p.plan_code
)

select
    d.centre_code,
    d.centre_name,
    d.applicant_name,
    d.applicant_kind,
    d.industry,
    d.region_code,
    d.event_date as designated_on,
    d.document_no,
    coalesce(l.last_re_reviewed_on, d.event_date) as last_reviewed_on,
    l.revoked_on,
    d.is_sample,
    coalesce(
        d.citation,
        concat_ws('; ', '认定文号：' || d.document_no, pr.citation)
    ) as citation
from designations as d
left join later as l on d.centre_code = l.centre_code
cross join programme as pr
