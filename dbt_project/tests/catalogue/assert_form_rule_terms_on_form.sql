-- Every element named in a form rule is on that form.
with terms as (
    select
        r.rule_code,
        r.form_code,
        {{ split_to_rows("r.left_terms || '+' || r.right_terms", '+') }} as element_code
    from {{ ref('form_rules') }} as r
)

select t.*
from terms as t
left join {{ ref('form_elements') }} as fe on t.form_code = fe.form_code and trim(t.element_code) = fe.element_code
where fe.element_code is null
