{#- Register the raw zone on an engine that reads it from files: one table per raw source, over
    the Parquet files in the folder `<location>/<table>`.
    dbt run-operation register_raw_zone --target spark --args '{location: /data/ipwh/raw}' -#}
{% macro register_raw_zone(location) %}
    {%- set tables = graph.sources.values() | selectattr('source_name', 'equalto', 'raw') | list -%}
    {%- if not tables -%}
        {{ exceptions.raise_compiler_error('no raw sources in the project') }}
    {%- endif -%}
    {% do run_query('create database if not exists ' ~ tables[0].schema) %}
    {%- for table in tables %}
        {% do run_query('drop table if exists ' ~ table.schema ~ '.' ~ table.name) %}
        {% do run_query(
            'create table ' ~ table.schema ~ '.' ~ table.name
            ~ " using parquet location '" ~ location ~ '/' ~ table.name ~ "'"
        ) %}
        {{ log('raw table ' ~ table.schema ~ '.' ~ table.name ~ ' registered', info=true) }}
    {%- endfor %}
{% endmacro %}
