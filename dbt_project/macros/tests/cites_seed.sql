{#- A citation must name one of the seed files (var seed_files) and a section after it. -#}
{% test cites_seed(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is null
   or not (
    {%- for f in var('seed_files') %}
       {{ column_name }} like '%{{ f }}, %'{% if not loop.last %} or{% endif %}
    {%- endfor %}
   )
{% endtest %}
