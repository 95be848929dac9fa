{#- sqlfluff's templater has no vars: its placeholder becomes 0 levels, dbt's value 3. -#}
{%- set max_depth = var('region_max_depth') | string | int -%}
-- Regions rolled up bottom-up (sub-district → county → city → province), one level at a time.
-- A region's value is, in order of preference:
--   0. upstream: the figure its own office sent in a signed return package (a provincial installation
--      loading a city's returns, `ipwh upstream ingest`): the city's own total, as it reported it;
--   1. reported: its own departments' complete figure (the city's own submission);
--   2. children: Σ of its child regions' values, when the catalogue lists every unit below the
--      region (regions.children_complete) and every one of them has a value (additive elements
--      only: flows and stocks; rates and distinct-firm counts are never summed). 福建省 with two
--      of its cities listed, or 泉州市 with 鲤城区 alone, never gets a partial sum as its total;
--   3. records: derived from patent records, for elements the catalogue sources from records,
--      in fully catalogued regions only (a province with two of its cities listed has no record total);
--      (for typed-in elements records_value is only kept for comparison: a missing submission
--      stays missing, it is never filled from another source);
--   4. bulletin: the figure entered from the national bulletin, where no department of the region
--      is expected to report the element.
-- An element whose catalogue row names a preferred_source (e.g. 003: 以国家知识产权局通报为准)
-- takes that source's figure first where it has one, then the order above.
-- children_sum is kept beside the reported figure so the quality gate can compare the two.
with

region_depths as (
    select distinct
        region_code,
        region_depth
    from {{ ref('int_region_ancestors') }}
),

-- A region is fully catalogued when every province or city at or below it lists all its child
-- units: only then do the patent records (kept per county) add up to the region's own total.
coverage as (
    select
        a.ancestor_code as region_code,
        coalesce(bool_and(r.children_complete or r.region_level in ('county', 'subdistrict')), false)
            as is_fully_catalogued
    from {{ ref('int_region_ancestors') }} as a
    inner join {{ ref('regions') }} as r on a.region_code = r.region_code
    group by 1
),

base as (
    select
        v.*,
        r.parent_code,
        coalesce(r.children_complete, false) as children_complete,
        coalesce(cov.is_fully_catalogued, false) as is_fully_catalogued,
        d.region_depth,
        de.preferred_source
    from {{ ref('int_element_values__regional') }} as v
    inner join {{ ref('data_elements') }} as de on v.element_code = de.element_code
    inner join {{ ref('regions') }} as r on v.region_code = r.region_code
    inner join region_depths as d on v.region_code = d.region_code
    left join coverage as cov on v.region_code = cov.region_code
),

{% for depth in range(max_depth, -1, -1) %}
    children_{{ depth }} as (
        {%- if depth < max_depth %}
            select
                parent_code as region_code,
                element_code,
                period_code,
                sum(value) as children_sum,
                count(*) as children_expected,
                count(value) as children_present,
                bool_or(is_sample) as is_sample
            from level_{{ depth + 1 }}
            where is_region_additive
            group by 1, 2, 3
        {%- else %}
            select
                cast(null as string) as region_code,
                cast(null as string) as element_code,
                cast(null as string) as period_code,
                cast(null as decimal(38, 6)) as children_sum,
                0 as children_expected,
                0 as children_present,
                false as is_sample
            where false
        {%- endif %}
    ),

    sourced_{{ depth }} as (
        select
            b.*,
            c.children_sum as children_partial_sum,
            coalesce(c.children_expected, 0) as children_expected,
            coalesce(c.children_present, 0) as children_present,
            case
                when b.children_complete and c.children_present = c.children_expected then c.children_sum
            end as children_sum,
            b.is_sample or coalesce(c.is_sample, false) as any_sample,
            case
                when b.upstream_value is not null then 'upstream'
                when b.preferred_source = 'bulletin' and b.bulletin_value is not null then 'bulletin'
                when b.preferred_source = 'records' and b.records_value is not null and b.is_fully_catalogued
                    then 'records'
                when b.reported_value is not null then 'reported'
                when
                    b.is_region_additive and b.children_complete
                    and c.children_expected > 0 and c.children_present = c.children_expected
                    then 'children'
                when b.element_source_kind = 'records' and b.records_value is not null and b.is_fully_catalogued
                    then 'records'
                when coalesce(b.reported_inputs_expected, 0) = 0 and b.bulletin_value is not null then 'bulletin'
            end as value_source
        from base as b
        left join children_{{ depth }} as c
            on b.region_code = c.region_code and b.element_code = c.element_code and b.period_code = c.period_code
        where b.region_depth = {{ depth }}
    ),

    level_{{ depth }} as (
        select
            {{ star_except(['is_sample', 'preferred_source']) }},
            case value_source
                when 'upstream' then upstream_value
                when 'reported' then reported_value
                when 'children' then children_sum
                when 'records' then records_value
                when 'bulletin' then bulletin_value
            end as value,
            any_sample as is_sample
        from sourced_{{ depth }}
    ),

{% endfor %}
all_levels as (
    {% for depth in range(max_depth, -1, -1) %}
        select * from level_{{ depth }}  -- noqa: AM04
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

with_ytd as (
    select
        *,
        sum(value) over ytd_window as ytd_sum,
        count(value) over ytd_window as ytd_present
    from all_levels
    window ytd_window as (
        partition by element_code, region_code, period_type, period_year
        order by period_no
        rows between unbounded preceding and current row
    )
)

-- 1–N月累计 (ytd_value): flows add the year's periods up to this one, complete only when none is
-- missing; stocks and rates are their own year-to-date value.
select
    {{ star_except(['ytd_sum', 'ytd_present']) }},  -- noqa: AM04
    case
        when aggregation <> 'flow' or period_type = 'year' then value
        when ytd_present = period_no then ytd_sum
    end as ytd_value
from with_ytd
