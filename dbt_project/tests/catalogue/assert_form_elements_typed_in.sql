-- Forms carry only elements typed in by departments (records-derived ones are computed), and
-- every typed-in element sits on at least one form.
select
    fe.element_code,
    'records element on a form' as problem
from {{ ref('form_elements') }} as fe
inner join {{ ref('data_elements') }} as e on fe.element_code = e.element_code
where e.source_kind = 'records'
union all
select
    e.element_code,
    'form element on no form' as problem
from {{ ref('data_elements') }} as e
where
    e.source_kind = 'form'
    and e.element_code not in (select on_form.element_code from {{ ref('form_elements') }} as on_form)
