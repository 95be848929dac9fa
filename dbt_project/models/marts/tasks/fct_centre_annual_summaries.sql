-- 中心年度工作总结报送情况。One row per centre × year from the designation year to the year of var as_of
-- (to the year before its revocation for a revoked centre), plus any other year a summary arrived for. A year's
-- summary is expected once its due day (year end + centre_monitoring_rules.summary_due_days) has passed,
-- every annual_summary_interval years (centre_programme_rules); on_time = first accepted by the due day.
with intervals as (
    select max(rule_value) filter (where rule_code = 'annual_summary_interval') as summary_interval_years
    from {{ ref('centre_programme_rules') }}
),

monitoring as (
    select max(rule_value) filter (where rule_code = 'summary_due_days') as summary_due_days
    from {{ ref('centre_monitoring_rules') }}
),

centres as (
    select * from {{ ref('int_industry_centres') }}
),

years as (
    select
        c.centre_code,
        y.summary_year
    from centres as c
    cross join intervals as i
    {{ join_integer_series(
        'year(c.designated_on)',
        'least(year(' ~ as_of_date() ~ '), coalesce(year(c.revoked_on) - 1, year(' ~ as_of_date() ~ ')))',
        'i.summary_interval_years', 'y', 'summary_year'
    ) }}
),

received as (
    select
        centre_code,
        summary_year,
        min(received_at) as received_at,
        min_by(file_name, received_at) as file_name,
        count(*) as files_received,
        bool_or(is_sample) as is_sample
    from {{ ref('stg_raw__centre_summaries') }}
    where is_accepted and cast(received_at as date) <= {{ as_of_date() }}
    group by centre_code, summary_year
),

grid as (
    select
        centre_code,
        summary_year
    from years
    union
    select
        r.centre_code,
        r.summary_year
    from received as r
    inner join centres as c on r.centre_code = c.centre_code
)

select
    g.centre_code,
    c.centre_name,
    g.summary_year,
    make_date(g.summary_year, 12, 31) + m.summary_due_days as due_on,
    y.summary_year is not null
    and make_date(g.summary_year, 12, 31) + m.summary_due_days < {{ as_of_date() }} as is_expected,
    r.received_at,
    r.file_name,
    coalesce(r.files_received, 0) as files_received,
    coalesce(cast(r.received_at as date) <= make_date(g.summary_year, 12, 31) + m.summary_due_days, false) as on_time,
    r.received_at is null
    and y.summary_year is not null
    and make_date(g.summary_year, 12, 31) + m.summary_due_days < {{ as_of_date() }} as is_missing,
    c.is_sample or coalesce(r.is_sample, false) as is_sample
from grid as g
inner join centres as c on g.centre_code = c.centre_code
cross join monitoring as m
left join years as y on g.centre_code = y.centre_code and g.summary_year = y.summary_year
left join received as r on g.centre_code = r.centre_code and g.summary_year = r.summary_year
