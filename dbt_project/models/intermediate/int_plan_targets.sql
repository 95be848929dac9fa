-- One row per plan target, with the names and units analysts read.
select
    t.target_code,
    t.plan_code,
    p.plan_title,
    p.doc_number,
    p.region_code,
    r.region_name,
    t.target_no,
    t.indicator_code,
    i.indicator_name,
    i.name_status as indicator_name_status,
    t.name_status as target_name_status,
    t.target_text,
    t.target_kind,
    k.target_kind_name,
    k.partial_year_rule,
    t.comparator,
    t.target_value,
    t.target_unit_code,
    tu.unit_name as target_unit_name,
    t.target_value_status,
    t.target_date,
    t.period_start,
    t.period_end,
    t.baseline_value,
    t.baseline_period,
    t.baseline_status,
    t.compare_indicator_code,
    t.either_of_target,
    t.reported_actual,
    t.reported_actual_period,
    t.reported_verdict,
    t.seed_file,
    t.seed_section,
    t.seed_file || ', ' || t.seed_section as citation,
    t.note
from {{ ref('plan_targets') }} as t
inner join {{ ref('plans') }} as p on t.plan_code = p.plan_code
inner join {{ ref('regions') }} as r on p.region_code = r.region_code
inner join {{ ref('indicators') }} as i on t.indicator_code = i.indicator_code
inner join {{ ref('units') }} as tu on t.target_unit_code = tu.unit_code
left join {{ ref('target_kinds') }} as k on t.target_kind = k.target_kind
