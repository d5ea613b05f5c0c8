{#- The row count of the table a model just built, as one line of the run log that the
    orchestration reads (orchestration/dbt.py, ROW_COUNT_LINE) and attaches to the asset as
    `dagster/row_count`. Tables and seeds on DuckDB (a count there is read from metadata); views and Spark skip. -#}
{% macro log_row_count() %}
    {%- if execute and target.type == 'duckdb' and config.get('materialized') in ('table', 'incremental', 'seed') -%}
        {%- set result = run_query('select count(*) from ' ~ this) -%}
        {%- do log('row count of ' ~ model.unique_id ~ ': ' ~ result.columns[0].values()[0], info=True) -%}
    {%- endif -%}
{% endmacro %}
