{#- The few constructs DuckDB and Spark spell differently, one macro each, chosen by the target's
    adapter (adapter.dispatch). Everything else in the models is SQL both engines read alike.
    The duckdb__ branch is the SQL the models always had, so DuckDB builds exactly what it built before. -#}

{#- Whole days from `start_date` to `end_date` (null when either is null; dbt.datediff is not, on Spark). -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'ip_warehouse')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    date_diff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}

{#- `day` moved by a whole number of months (month ends clamp: 1月31日 + 1 month = 2月末). -#}
{% macro add_months(day, months) -%}
    {{ return(adapter.dispatch('add_months', 'ip_warehouse')(day, months)) }}
{%- endmacro %}

{% macro default__add_months(day, months) -%}
    ({{ day }} + to_months({{ months }}))
{%- endmacro %}

{% macro spark__add_months(day, months) -%}
    add_months({{ day }}, {{ months }})
{%- endmacro %}

{#- 'YYYY-MM' of a date. -#}
{% macro year_month(day) -%}
    {{ return(adapter.dispatch('year_month', 'ip_warehouse')(day)) }}
{%- endmacro %}

{% macro default__year_month(day) -%}
    strftime({{ day }}, '%Y-%m')
{%- endmacro %}

{% macro spark__year_month(day) -%}
    date_format({{ day }}, 'yyyy-MM')
{%- endmacro %}

{#- Integer quotient of two integers, rounded down. -#}
{% macro int_div(dividend, divisor) -%}
    {{ return(adapter.dispatch('int_div', 'ip_warehouse')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__int_div(dividend, divisor) -%}
    {{ dividend }} // {{ divisor }}
{%- endmacro %}

{% macro spark__int_div(dividend, divisor) -%}
    {{ dividend }} div {{ divisor }}
{%- endmacro %}

{#- True when the whole of `text` matches the regular expression `pattern` (write classes as [0-9],
    not backslash escapes: Spark's string literals eat backslashes). -#}
{% macro regex_full_match(text, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'ip_warehouse')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_full_match(text, pattern) -%}
    ({{ text }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{#- True when part of `text` matches the regular expression `pattern`. -#}
{% macro regex_contains(text, pattern) -%}
    {{ return(adapter.dispatch('regex_contains', 'ip_warehouse')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_contains(text, pattern) -%}
    regexp_matches({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_contains(text, pattern) -%}
    ({{ text }} rlike '{{ pattern }}')
{%- endmacro %}

{#- Strings joined with `separator` in the order of `order_by` (nulls skipped; null when none is
    left), optionally distinct and restricted to the rows where `where` holds. Distinct values are
    ordered by themselves. -#}
{% macro ordered_string_agg(value, separator, order_by=none, distinct=false, where=none) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'ip_warehouse')(value, separator, order_by, distinct, where)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(value, separator, order_by, distinct, where) -%}
    string_agg({{ 'distinct ' if distinct }}{{ value }}, {{ separator }}
    {%- if order_by is not none %} order by {{ order_by }}{% endif %})
    {%- if where is not none %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro spark__ordered_string_agg(value, separator, order_by, distinct, where) -%}
    {#- Spark 4.3 fails on listagg(distinct …) beside a filter clause or another distinct aggregate
        (ClassCastException in RewriteDistinctAggregates): distinct values are a sorted set instead,
        the filter goes into the value, and no value left gives null as string_agg does. -#}
    {%- if distinct -%}
        {%- set kept = value if where is none else 'case when ' ~ where ~ ' then ' ~ value ~ ' end' -%}
        case when size(collect_set({{ kept }})) > 0
            then array_join(array_sort(collect_set({{ kept }})), {{ separator }})
        end
    {%- else -%}
        listagg({{ value }}, {{ separator }}) within group (order by {{ order_by if order_by is not none else value }})
        {%- if where is not none %} filter (where {{ where }}){% endif %}
    {%- endif -%}
{%- endmacro %}

{#- Every column of the relation (or of `qualifier`) but `columns`. -#}
{% macro star_except(columns, qualifier=none) -%}
    {{ return(adapter.dispatch('star_except', 'ip_warehouse')(columns, qualifier)) }}
{%- endmacro %}

{% macro default__star_except(columns, qualifier) -%}
    {{ qualifier ~ '.' if qualifier }}* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(columns, qualifier) -%}
    {{ qualifier ~ '.' if qualifier }}* except ({{ columns | join(', ') }})
{%- endmacro %}

{#- True when `item` is one of the `separator`-separated parts of `text` ('county|district'). -#}
{% macro split_contains(text, separator, item) -%}
    {{ return(adapter.dispatch('split_contains', 'ip_warehouse')(text, separator, item)) }}
{%- endmacro %}

{% macro default__split_contains(text, separator, item) -%}
    list_contains(string_split({{ text }}, '{{ separator }}'), {{ item }})
{%- endmacro %}

{% macro spark__split_contains(text, separator, item) -%}
    array_contains(split({{ text }}, '[{{ separator }}]'), {{ item }})
{%- endmacro %}

{#- One row per `separator`-separated part of `text`, as a select-list item. -#}
{% macro split_to_rows(text, separator) -%}
    {{ return(adapter.dispatch('split_to_rows', 'ip_warehouse')(text, separator)) }}
{%- endmacro %}

{% macro default__split_to_rows(text, separator) -%}
    unnest(string_split({{ text }}, '{{ separator }}'))
{%- endmacro %}

{% macro spark__split_to_rows(text, separator) -%}
    explode(split({{ text }}, '[{{ separator }}]'))
{%- endmacro %}

{#- A join adding one row per integer from `start` to `stop` inclusive by `step` (none when
    start > stop), named `alias`.`column`; it follows the last join of a from clause. -#}
{% macro join_integer_series(start, stop, step, alias, column) -%}
    {{ return(adapter.dispatch('join_integer_series', 'ip_warehouse')(start, stop, step, alias, column)) }}
{%- endmacro %}

{% macro default__join_integer_series(start, stop, step, alias, column) -%}
    cross join unnest(
        generate_series(
            {{ start }},
            {{ stop }},
            {{ step }}
        )
    ) as {{ alias }} ({{ column }})
{%- endmacro %}

{% macro spark__join_integer_series(start, stop, step, alias, column) -%}
    {#- sequence() fails where start > stop; generate_series is empty there. -#}
    lateral view explode(
        case when {{ start }} <= {{ stop }} then sequence({{ start }}, {{ stop }}, {{ step }}) end
    ) {{ alias }} as {{ column }}
{%- endmacro %}

{#- numerator / denominator as DuckDB divides: in double precision whatever the operand types.
    Spark divides decimals as decimals, rounded to the quotient's scale (6 digits for a day count
    over 365.25), and its figures then drift from DuckDB's at the 6th significant digit. Each side is
    bracketed: divide('a * b', 'c') is (a * b) / (c). -#}
{% macro divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('divide', 'ip_warehouse')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__divide(numerator, denominator) -%}
    ({{ numerator }}) / ({{ denominator }})
{%- endmacro %}

{% macro spark__divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / ({{ denominator }})
{%- endmacro %}
