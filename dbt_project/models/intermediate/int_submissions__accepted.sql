-- Every accepted submission of any kind (element forms and task-report forms alike) as the build
-- saw it. The quality gate compares its latest accepted_at with the raw events' latest acceptance:
-- the same population on both sides, so a build that has seen every acceptance always clears it.
select
    s.submission_id,
    s.form_code,
    s.department_code,
    s.period_code,
    min(e.event_at) as accepted_at
from {{ ref('stg_raw__submission_events') }} as e
inner join {{ ref('stg_raw__submissions') }} as s on e.submission_id = s.submission_id
where e.status = 'accepted'
group by 1, 2, 3, 4
