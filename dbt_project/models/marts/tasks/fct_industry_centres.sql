-- 产业知识产权协同保护与运营中心监测表。One row per designated centre as of var as_of: annual summaries
-- expected and received (fct_centre_annual_summaries), the next re-review due (last review +
-- centre_programme_rules.re_review_interval years) and its status: 已撤销 revoked; 已逾期 past due;
-- 即将到期 within centre_monitoring_rules.review_due_soon_days of the due day; else 未到期.
with intervals as (
    select max(rule_value) filter (where rule_code = 're_review_interval') as review_interval_years
    from {{ ref('centre_programme_rules') }}
),

monitoring as (
    select max(rule_value) filter (where rule_code = 'review_due_soon_days') as review_due_soon_days
    from {{ ref('centre_monitoring_rules') }}
),

summaries as (
    select
        centre_code,
        count(*) filter (where is_expected) as summaries_expected,
        count(*) filter (where received_at is not null) as summaries_received,
        max(summary_year) filter (where received_at is not null) as latest_summary_year
    from {{ ref('fct_centre_annual_summaries') }}
    group by centre_code
),

due as (
    select
        c.*,
        cast({{ add_months('c.last_reviewed_on', '12 * i.review_interval_years') }} as date) as next_review_due,
        m.review_due_soon_days
    from {{ ref('int_industry_centres') }} as c
    cross join intervals as i
    cross join monitoring as m
)

select
    d.centre_code,
    d.centre_name,
    d.applicant_name,
    d.industry,
    d.region_code,
    r.region_name,
    d.designated_on,
    case when d.revoked_on is not null then '已撤销' else '有效' end as status,
    coalesce(s.summaries_expected, 0) as summaries_expected,
    coalesce(s.summaries_received, 0) as summaries_received,
    s.latest_summary_year,
    case when d.revoked_on is null then d.next_review_due end as next_review_due,
    case
        when d.revoked_on is not null then '已撤销'
        when d.next_review_due < {{ as_of_date() }} then '已逾期'
        when d.next_review_due <= {{ as_of_date() }} + d.review_due_soon_days then '即将到期'
        else '未到期'
    end as review_status,
    d.is_sample,
    d.citation
from due as d
left join {{ ref('regions') }} as r on d.region_code = r.region_code
left join summaries as s on d.centre_code = s.centre_code
