-- The figure in force for each form × department × period × element: the one from the latest
-- accepted version (a resubmission replaces the whole earlier file; old versions stay in raw).
-- Only files received by the as-of day count, as for task reports and centre summaries.
-- A package from an office below (`ipwh upstream ingest` on a provincial installation) is recorded
-- as a submission whose form code is `upstream:<SDMX structure>`: not a catalogue form, its figures
-- are already the region's own totals (form_source_kind = upstream).
with

accepted as (
    select
        submission_id,
        is_sample
    from {{ ref('stg_raw__submissions') }}
    where is_accepted and cast(received_at as date) <= {{ as_of_date() }}
),

latest_version as (
    select
        v.form_code,
        v.department_code,
        v.period_code,
        max(v.version) as version
    from {{ ref('stg_raw__submission_values') }} as v
    inner join accepted as a on v.submission_id = a.submission_id
    group by 1, 2, 3
)

select
    v.form_code,
    case when v.form_code like 'upstream:%' then 'upstream' else f.source_kind end as form_source_kind,
    v.department_code,
    v.region_code,
    v.period_code,
    v.period_type,
    v.element_code,
    v.value,
    v.submission_id,
    v.version,
    v.sheet,
    v.cell,
    v.file_sha256,
    v.received_at,
    v.is_sample
from {{ ref('stg_raw__submission_values') }} as v
inner join latest_version as l
    on
        v.form_code = l.form_code
        and v.department_code = l.department_code
        and v.period_code = l.period_code
        and v.version = l.version
inner join accepted as a on v.submission_id = a.submission_id
left join {{ ref('forms') }} as f on v.form_code = f.form_code
where f.form_code is not null or v.form_code like 'upstream:%'
