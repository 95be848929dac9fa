-- The status of each target as an aim: an "A 或 B" aim (plan_targets.either_of_target, e.g. 000
-- 三(二)2 向外国申请专利数量或PCT国际申请数量超50件) is met when either of its targets is, so each target of
-- the pair shows the better of the two statuses and, when that is the other's, says so. Other
-- targets keep their own status.
with

evaluations as (
    select
        e.target_code,
        e.evaluation_date,
        e.status,
        e.status_note,
        e.final_verdict,
        t.either_of_target,
        t.target_no,
        case e.status
            when '已完成' then 1
            when '进度正常' then 2
            when '需加快' then 3
            when '滞后' then 4
            when '未完成' then 5
            else 6
        end as status_rank
    from {{ ref('int_target_evaluations') }} as e
    inner join {{ ref('int_plan_targets') }} as t on e.target_code = t.target_code
)

select
    e.target_code,
    e.evaluation_date,
    coalesce(o.status_rank < e.status_rank, false) as judged_by_other,
    case when o.status_rank < e.status_rank then o.status else e.status end as status,
    case
        when o.status_rank < e.status_rank
            then
                '按第' || o.target_no || '项目标判定（二者满足其一即可）'
                || coalesce('：' || o.status_note, '')
        else e.status_note
    end as status_note,
    case
        when o.final_verdict in ('完成', '超额完成') and coalesce(e.final_verdict, '') not in ('完成', '超额完成')
            then o.final_verdict
        else e.final_verdict
    end as final_verdict
from evaluations as e
left join evaluations as o
    on e.either_of_target = o.target_code and e.evaluation_date = o.evaluation_date
