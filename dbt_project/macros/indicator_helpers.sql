{#- The day the warehouse is judged as of: var as_of (YYYY-MM-DD) or today. -#}
{% macro as_of_date() -%}
    {%- if var('as_of', none) -%}
        cast('{{ var("as_of") }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{#- Order of period types from finest to coarsest: month 1, quarter 2, year 3. -#}
{% macro period_type_rank(column) -%}
    case {{ column }} when 'month' then 1 when 'quarter' then 2 when 'year' then 3 end
{%- endmacro %}

{#- A value in base units expressed in a unit whose to_base_factor is `factor`, as exact DECIMAL(38, 12).
    Multiplies by the reciprocal, which is exact for the catalogue's decimal units (1, 10⁴, 10⁸). -#}
{% macro from_base_unit(value, factor) -%}
    cast(cast({{ value }} as decimal(38, 6)) * cast({{ divide('1', factor) }} as decimal(38, 12)) as decimal(38, 12))
{%- endmacro %}

{#- True when `value` meets the target under the comparator (> or >=; <= for an absence of events or
    a rank); null when either side is null. -#}
{% macro meets(value, target, comparator) -%}
    case {{ comparator }}
        when '>' then {{ value }} > {{ target }}
        when '<=' then {{ value }} <= {{ target }}
        else {{ value }} >= {{ target }}
    end
{%- endmacro %}

{#- Percentage change from `base` to `value`; null when the base is null or zero. -#}
{% macro pct_change(value, base) -%}
    case when {{ base }} <> 0 then cast({{ divide('(' ~ value ~ ' - ' ~ base ~ ')', 'abs(' ~ base ~ ')') }} * 100 as decimal(38, 6)) end
{%- endmacro %}

{#- Round for display to a per-row number of decimals (DuckDB needs a constant precision); the
    branches share one type, DECIMAL(38, 12), so no branch's scale truncates another's. -#}
{% macro round_to(value, decimals) -%}
    case {{ decimals }}
        {%- for d in range(0, 7) %}
            when {{ d }} then cast(round({{ value }}, {{ d }}) as decimal(38, 12))
        {%- endfor %}
        else cast({{ value }} as decimal(38, 12))
    end
{%- endmacro %}
