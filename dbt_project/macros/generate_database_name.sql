{#- On DuckDB the published models (schema `marts`) are built into the database attached as
    `publication` (profiles.yml): the file that becomes the analysts' warehouse once every
    blocking check passed (orchestration/publish.py). Everything else, and every model on other
    targets (Spark), stays in the target's own database. -#}
{% macro generate_database_name(custom_database_name=none, node=none) -%}
    {%- if target.type == 'duckdb' and node is not none and node.resource_type in ('model', 'snapshot')
        and node.config.get('schema') == 'marts' -%}
        {{ publication_database() }}
    {%- else -%}
        {{ default__generate_database_name(custom_database_name, node) }}
    {%- endif -%}
{%- endmacro %}

{% macro publication_database() -%}publication{%- endmacro %}
