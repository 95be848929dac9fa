-- The rank of a rank_max target's region in each of its peer sets (target_peer_sets: every region of
-- peer_level under scope_region_code), per evaluation date, on the latest whole year ending by then
-- in which the region itself has a value; and, per target, the worst rank over its peer sets.
-- A rank needs every peer's figure for that year: a peer set the catalogue holds only in part
-- (target_peer_sets.catalogue_coverage), or whose peers have no figure, gives no rank, and the reason
-- names what is missing.
with

targets as (
    select
        target_code,
        indicator_code,
        region_code,
        period_start
    from {{ ref('int_plan_targets') }}
    where target_kind = 'rank_max'
),

evaluations as (
    select
        target_code,
        evaluation_date
    from {{ ref('int_target_evaluation_dates') }}
),

yearly_values as (
    select
        v.indicator_code,
        v.region_code,
        p.period_year,
        p.period_end,
        v.value
    from {{ ref('int_indicator_values') }} as v
    inner join {{ ref('int_periods') }} as p on v.period_code = p.period_code
    where p.period_type = 'year' and p.has_ended and v.value is not null
),

-- The year judged: the region's own latest year ending by the evaluation date.
own_years as (
    select
        e.target_code,
        e.evaluation_date,
        max(y.period_year) as period_year
    from evaluations as e
    inner join targets as t on e.target_code = t.target_code
    inner join yearly_values as y
        on t.indicator_code = y.indicator_code and t.region_code = y.region_code and e.evaluation_date >= y.period_end
    group by e.target_code, e.evaluation_date
),

peers as (
    select
        s.target_code,
        s.peer_set_code,
        s.peer_set_name,
        s.catalogue_coverage,
        a.region_code as peer_region_code,
        r.region_name as peer_region_name
    from {{ ref('target_peer_sets') }} as s
    inner join {{ ref('int_region_ancestors') }} as a on s.scope_region_code = a.ancestor_code
    inner join {{ ref('regions') }} as r on a.region_code = r.region_code and s.peer_level = r.region_level
),

peer_values as (
    select
        e.target_code,
        e.evaluation_date,
        p.peer_set_code,
        p.peer_set_name,
        p.catalogue_coverage,
        p.peer_region_code,
        p.peer_region_name,
        o.period_year,
        y.value,
        p.peer_region_code = t.region_code as is_own,
        rank() over (partition by e.target_code, e.evaluation_date, p.peer_set_code order by y.value desc) as peer_rank
    from evaluations as e
    inner join targets as t on e.target_code = t.target_code
    inner join peers as p on e.target_code = p.target_code
    left join own_years as o on e.target_code = o.target_code and e.evaluation_date = o.evaluation_date
    left join yearly_values as y
        on
            t.indicator_code = y.indicator_code
            and p.peer_region_code = y.region_code
            and o.period_year = y.period_year
),

per_set as (
    select
        target_code,
        evaluation_date,
        peer_set_code,
        min(peer_set_name) as peer_set_name,
        min(catalogue_coverage) as catalogue_coverage,
        max(period_year) as period_year,
        count(*) as peers_listed,
        count(value) as peers_with_value,
        max(value) filter (where is_own) as own_value,
        max(peer_rank) filter (where is_own) as own_rank,
        {{ ordered_string_agg(
            'peer_region_name', "'、'", order_by='peer_region_code', where='value is null and not is_own'
        ) }} as peers_without_value
    from peer_values
    group by target_code, evaluation_date, peer_set_code
),

ranked as (
    select
        s.*,
        case
            when
                s.own_value is not null and s.catalogue_coverage = 'complete' and s.peers_listed > 1
                and s.peers_with_value = s.peers_listed
                then s.own_rank
        end as rank_in_set,
        case
            when s.own_value is null then s.peer_set_name || '：本地区无年度数据'
            when s.peers_listed <= 1
                then s.peer_set_name || '：目录仅收录本地区，他区数据不在仓库'
            when s.catalogue_coverage <> 'complete'
                then s.peer_set_name || '：目录仅收录' || s.peers_listed || '个地区，他区数据不在仓库'
            when s.peers_with_value < s.peers_listed
                then s.peer_set_name || '：' || s.peers_without_value || ' ' || s.period_year || '年无数据'
        end as missing_reason
    from per_set as s
)

select
    target_code,
    evaluation_date,
    max(period_year) as rank_year,
    -- The worst rank over the peer sets, only when every set could be ranked.
    case when count(rank_in_set) = count(*) then max(rank_in_set) end as worst_rank,
    {{ ordered_string_agg(
        "peer_set_name || '第' || rank_in_set || '名'", "'；'", order_by='peer_set_code',
        where='rank_in_set is not null'
    ) }} as ranks_text,
    {{ ordered_string_agg('missing_reason', "'；'", order_by='peer_set_code') }} as rank_missing_reason
from ranked
group by target_code, evaluation_date
