-- Every region with each of its ancestors (and itself at distance 0), and its depth below the root.
with recursive

tree (region_code, ancestor_code, distance) as (
    select
        region_code,
        region_code as ancestor_code,
        0 as distance
    from {{ ref('regions') }}
    union all
    select
        t.region_code,
        r.parent_code as ancestor_code,
        t.distance + 1 as distance
    from tree as t
    inner join {{ ref('regions') }} as r on t.ancestor_code = r.region_code
    where r.parent_code is not null
)

select
    t.region_code,
    t.ancestor_code,
    t.distance,
    max(t.distance) over (partition by t.region_code) as region_depth
from tree as t
