-- Data elements derived from record-level patent data, for every region at or above the county
-- level and every ended month, quarter and year the newest extract fully covers.
-- Additive measures (counts of applications, grants, valid patents) are counted per county and
-- month, then summed over months (flows) or taken at the period's last month (stocks) and over
-- descendant counties. Distinct-firm measures are counted per region and year directly, since a
-- firm is counted once however many counties or months its patents fall in.
-- Only measures whose element_code exists in the catalogue (data_elements) are kept.
with

records as (
    select * from {{ ref('int_patent_records__current') }}
),

extract as (
    select
        max(extract_as_of) as extract_as_of,
        bool_or(is_sample) as is_sample
    from records
),

counties as (
    select
        region_code,
        valid_from,
        valid_to
    from {{ ref('regions') }}
    where region_level = 'county'
),

covered_periods as (
    select p.*
    from {{ ref('int_periods') }} as p
    cross join extract as e
    where p.has_ended and p.period_end <= e.extract_as_of
),

months as (
    select
        period_code,
        period_start as month_start,
        period_end as month_end
    from covered_periods
    where period_type = 'month'
),

application_flows as (
    select
        region_code,
        cast(date_trunc('month', application_date) as date) as month_start,
        count(*) as patent_applications,
        count(*) filter (where patent_type = 'invention') as patent_applications_invention,
        count(*) filter (where patent_type = 'utility') as patent_applications_utility,
        count(*) filter (where patent_type = 'design') as patent_applications_design,
        count(*) filter (where is_pct) as pct_applications,
        count(*) filter (where is_abroad) as patent_applications_abroad,
        count(*) filter (where is_pct or is_abroad) as abroad_or_pct_applications,
        count(*) filter (where is_service_invention) as service_invention_applications,
        count(*) filter (where is_agency_filed) as agency_filed_applications
    from records
    group by 1, 2
),

grant_flows as (
    select
        region_code,
        cast(date_trunc('month', grant_date) as date) as month_start,
        count(*) as patent_grants,
        count(*) filter (where patent_type = 'invention') as patent_grants_invention,
        count(*) filter (where patent_type = 'utility') as patent_grants_utility,
        count(*) filter (where patent_type = 'design') as patent_grants_design,
        count(*) filter (where is_service_invention) as service_invention_grants
    from records
    where grant_date is not null
    group by 1, 2
),

-- Valid invention patents change by +1 in the month of grant and -1 in the month validity ends.
stock_events as (
    select
        region_code,
        cast(date_trunc('month', grant_date) as date) as month_start,
        count(*) as valid_invention_patents,
        count(*) filter (where is_high_value) as high_value_invention_patents
    from records
    where patent_type = 'invention' and grant_date is not null and valid_until > grant_date
    group by 1, 2
    union all
    select
        region_code,
        cast(date_trunc('month', valid_until) as date) as month_start,
        -count(*) as valid_invention_patents,
        -count(*) filter (where is_high_value) as high_value_invention_patents
    from records
    where
        patent_type = 'invention' and grant_date is not null and valid_until > grant_date
        and valid_until < date '9999-12-31'
    group by 1, 2
),

month_grid_events as (
    select * from stock_events
    union all
    select
        c.region_code,
        m.month_start,
        0 as valid_invention_patents,
        0 as high_value_invention_patents
    from counties as c
    cross join months as m
),

stock_changes as (
    select
        region_code,
        month_start,
        sum(valid_invention_patents) as valid_invention_patents,
        sum(high_value_invention_patents) as high_value_invention_patents
    from month_grid_events
    group by 1, 2
),

stocks as (
    select
        region_code,
        month_start,
        sum(valid_invention_patents) over w as valid_invention_patents,
        sum(high_value_invention_patents) over w as high_value_invention_patents
    from stock_changes
    window w as (partition by region_code order by month_start rows between unbounded preceding and current row)
),

county_months as (
    select
        c.region_code,
        m.period_code,
        m.month_start,
        m.month_end,
        coalesce(a.patent_applications, 0) as patent_applications,
        coalesce(a.patent_applications_invention, 0) as patent_applications_invention,
        coalesce(a.patent_applications_utility, 0) as patent_applications_utility,
        coalesce(a.patent_applications_design, 0) as patent_applications_design,
        coalesce(a.pct_applications, 0) as pct_applications,
        coalesce(a.patent_applications_abroad, 0) as patent_applications_abroad,
        coalesce(a.abroad_or_pct_applications, 0) as abroad_or_pct_applications,
        coalesce(a.service_invention_applications, 0) as service_invention_applications,
        coalesce(a.agency_filed_applications, 0) as agency_filed_applications,
        coalesce(g.patent_grants, 0) as patent_grants,
        coalesce(g.patent_grants_invention, 0) as patent_grants_invention,
        coalesce(g.patent_grants_utility, 0) as patent_grants_utility,
        coalesce(g.patent_grants_design, 0) as patent_grants_design,
        coalesce(g.service_invention_grants, 0) as service_invention_grants,
        coalesce(s.valid_invention_patents, 0) as valid_invention_patents,
        coalesce(s.high_value_invention_patents, 0) as high_value_invention_patents
    from counties as c
    cross join months as m
    left join application_flows as a on c.region_code = a.region_code and m.month_start = a.month_start
    left join grant_flows as g on c.region_code = g.region_code and m.month_start = g.month_start
    left join stocks as s on c.region_code = s.region_code and m.month_start = s.month_start
    where
        (c.valid_from is null or c.valid_from <= m.month_end)
        and (c.valid_to is null or c.valid_to >= m.month_end)
),

county_month_values as (
    select * from county_months  -- noqa: AM04
    unpivot (
        measure_value for element_code in (
            patent_applications, patent_applications_invention, patent_applications_utility,
            patent_applications_design, pct_applications, patent_applications_abroad, abroad_or_pct_applications,
            service_invention_applications, agency_filed_applications, patent_grants, patent_grants_invention,
            patent_grants_utility, patent_grants_design, service_invention_grants, valid_invention_patents,
            high_value_invention_patents
        )
    )
),

additive as (
    select
        v.element_code,
        a.ancestor_code as region_code,
        p.period_code,
        sum(v.measure_value) filter (
            where de.aggregation = 'flow' or v.month_end = p.period_end
        ) as measure_value
    from county_month_values as v
    inner join {{ ref('data_elements') }} as de on v.element_code = de.element_code
    inner join {{ ref('int_region_ancestors') }} as a on v.region_code = a.region_code
    inner join covered_periods as p
        on v.month_start >= p.period_start and v.month_end <= p.period_end
    group by 1, 2, 3
),

record_regions as (
    select distinct a.ancestor_code
    from {{ ref('int_region_ancestors') }} as a
    inner join counties as c on a.region_code = c.region_code
),

firm_grants as (
    select
        applicant_name,
        region_code,
        year(grant_date) as grant_year,
        count(*) as grant_count
    from records
    where applicant_type = 'firm' and grant_date is not null
    group by 1, 2, 3
),

firms_3plus_by_region as (
    select
        a.ancestor_code as region_code,
        p.period_code,
        f.applicant_name
    from firm_grants as f
    inner join {{ ref('int_region_ancestors') }} as a on f.region_code = a.region_code
    inner join covered_periods as p on p.period_type = 'year' and f.grant_year = p.period_year
    group by 1, 2, 3
    having sum(f.grant_count) >= 3
),

firms_3plus as (
    select
        region_code,
        period_code,
        count(*) as measure_value
    from firms_3plus_by_region
    group by 1, 2
),

hightech_holdings as (
    select distinct
        applicant_name,
        region_code,
        year(grant_date) as first_year_held,
        year(valid_until) as first_year_not_held
    from records
    where is_hightech_firm and grant_date is not null and valid_until > grant_date
),

hightech_with_patents as (
    select
        a.ancestor_code as region_code,
        p.period_code,
        count(distinct h.applicant_name) as measure_value
    from hightech_holdings as h
    inner join {{ ref('int_region_ancestors') }} as a on h.region_code = a.region_code
    inner join covered_periods as p
        on
            p.period_type = 'year'
            and h.first_year_held <= p.period_year
            and h.first_year_not_held > p.period_year
    group by 1, 2
),

distinct_measures as (
    select 'firms_3plus_grants' as element_code
    union all
    select 'hightech_firms_with_patents' as element_code
),

-- Every region at or above the county level gets a row (zero when nothing was counted) per year.
distinct_grid as (
    select
        m.element_code,
        a.ancestor_code as region_code,
        p.period_code
    from distinct_measures as m
    cross join record_regions as a
    cross join covered_periods as p
    where p.period_type = 'year'
),

distinct_counts as (
    select
        g.element_code,
        g.region_code,
        g.period_code,
        coalesce(f.measure_value, h.measure_value, 0) as measure_value
    from distinct_grid as g
    left join firms_3plus as f
        on g.element_code = 'firms_3plus_grants' and g.region_code = f.region_code and g.period_code = f.period_code
    left join hightech_with_patents as h
        on
            g.element_code = 'hightech_firms_with_patents'
            and g.region_code = h.region_code and g.period_code = h.period_code
),

combined as (
    select
        element_code,
        region_code,
        period_code,
        measure_value,
        'month' as native_period_type,
        true as is_region_additive
    from additive
    union all
    select
        element_code,
        region_code,
        period_code,
        measure_value,
        'year' as native_period_type,
        false as is_region_additive
    from distinct_counts
)

select
    c.element_code,
    c.region_code,
    c.period_code,
    cast(c.measure_value as decimal(38, 6)) as value,
    c.native_period_type,
    c.is_region_additive,
    e.extract_as_of,
    e.is_sample
from combined as c
inner join {{ ref('data_elements') }} as de on c.element_code = de.element_code
cross join extract as e
where e.extract_as_of is not null
