-- 报送情况汇总。One row per form × region (the region and everything below it) × period: how many
-- reports were expected, received, on time, late, missing or not yet due, and the rates. Only
-- expected reports are counted, so no rate exceeds 100%.
select
    c.form_code,
    any_value(c.form_name) as form_name,
    a.ancestor_code as region_code,
    any_value(r.region_name) as region_name,
    c.period_code,
    any_value(c.period_type) as period_type,
    any_value(c.due_date) as due_date,
    count(*) filter (where c.is_expected) as expected,
    count(*) filter (where c.is_expected and c.is_received) as received,
    count(*) filter (where c.is_expected and c.is_on_time) as on_time,
    count(*) filter (where c.is_expected and c.is_late) as late,
    count(*) filter (where c.is_expected and c.is_missing) as missing,
    count(*) filter (where c.is_expected and not c.is_received and not c.is_missing) as not_yet_due,
    count(*) filter (where not c.is_expected and c.is_received) as unexpected_received,
    cast(
        {{ divide(
            'count(*) filter (where c.is_expected and c.is_received) * 100.0',
            'nullif(count(*) filter (where c.is_expected), 0)'
        ) }} as decimal(9, 2)
    ) as completeness_pct,
    cast(
        {{ divide(
            'count(*) filter (where c.is_expected and c.is_on_time) * 100.0',
            'nullif(count(*) filter (where c.is_expected), 0)'
        ) }} as decimal(9, 2)
    ) as timeliness_pct,
    bool_or(c.is_sample) as is_sample
from {{ ref('fct_submission_completeness') }} as c
inner join {{ ref('int_region_ancestors') }} as a on c.region_code = a.region_code
inner join {{ ref('regions') }} as r on a.ancestor_code = r.region_code
group by c.form_code, a.ancestor_code, c.period_code
