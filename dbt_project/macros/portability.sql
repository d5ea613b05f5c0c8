{#-
  Dialect differences between the warehouses the models run on (DuckDB by default, Apache Spark
  through dbt-spark; docs/SPARK.md). Models and macros call these instead of engine-specific
  SQL. Each macro dispatches on the adapter: `default__` is the DuckDB form (and what most
  engines accept), `spark__` the Spark SQL form. Every result is cast explicitly so both engines
  produce the same column types.

  The `spark__` macros for dbt's own dispatched macros (dateadd, cast, seed loading) replace
  dbt-spark's: the root project comes first when dbt dispatches.
-#}

{#- ------------------------------------------------------------------ dates -#}

{#- A date plus a number of days, as a date. -#}
{% macro date_add_days(date_expr, days) -%}
    {{ return(adapter.dispatch('date_add_days', 'jeugdhulp')(date_expr, days)) }}
{%- endmacro %}

{% macro default__date_add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{#- Spark's dbt.dateadd goes through unix timestamps; date_add stays a date. -#}
{% macro spark__date_add_days(date_expr, days) -%}
    date_add(cast({{ date_expr }} as date), cast({{ days }} as int))
{%- endmacro %}

{#- A date plus a number of calendar months, as a date, clamped to the last day of the month
    (2022-08-31 + 6 months = 2023-02-28; DEFINITIONS §4 step 3). -#}
{% macro date_add_months(date_expr, months) -%}
    {{ return(adapter.dispatch('date_add_months', 'jeugdhulp')(date_expr, months)) }}
{%- endmacro %}

{% macro default__date_add_months(date_expr, months) -%}
    cast({{ dbt.dateadd('month', months, date_expr) }} as date)
{%- endmacro %}

{#- Spark ≥ 3 add_months clamps to the month's end and keeps a date. -#}
{% macro spark__date_add_months(date_expr, months) -%}
    add_months(cast({{ date_expr }} as date), cast({{ months }} as int))
{%- endmacro %}

{#- Whole days from start_date to end_date (end − start), as an integer. -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'jeugdhulp')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    cast({{ dbt.datediff(start_date, end_date, 'day') }} as {{ dbt.type_int() }})
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    cast(datediff(cast({{ end_date }} as date), cast({{ start_date }} as date)) as int)
{%- endmacro %}

{#- --------------------------------------------------------------- ordering -#}

{#- An ORDER BY key that puts rows where `expr` is null after the others. Engines differ in
    where nulls sort by default and not all accept NULLS FIRST/LAST or a boolean as a sort key,
    so this is an integer (0 = has a value, 1 = null); follow it with `expr` itself. -#}
{% macro nulls_last_key(expr) -%}
    case when {{ expr }} is null then 1 else 0 end
{%- endmacro %}

{#- ------------------------------------------------- declared column types -#}

{#- Seed `column_types` and contract `data_type`s are written in DuckDB's vocabulary (varchar,
    integer, double, boolean). Spark requires a length for VARCHAR, so on Spark a text type
    without one becomes STRING. -#}
{% macro spark_data_type(data_type) -%}
    {%- set normalized = (data_type | string | trim | lower) -%}
    {%- if normalized in ('varchar', 'text', 'char', 'character varying', 'bpchar') -%}
        string
    {%- else -%}
        {{ data_type }}
    {%- endif -%}
{%- endmacro %}

{#- dbt.cast on Spark, with the type translated: dbt checks an enforced model contract with
    `cast(null as <data_type>)` for every declared column. -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_data_type(type) }})
{%- endmacro %}

{#- ------------------------------------------------------------------ seeds -#}

{#- A seed value as a Spark SQL literal: NULL for an empty cell (dbt-spark's own loader would
    write the text 'None'), quotes and backslashes escaped. -#}
{% macro spark_seed_literal(value, data_type) -%}
    {%- if value is none -%}
        cast(null as {{ data_type }})
    {%- elif value is sameas true or value is sameas false -%}
        cast({{ 'true' if value else 'false' }} as {{ data_type }})
    {%- else -%}
        cast('{{ (value | string) | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{#- Overrides dbt-spark's seed table DDL (found first: the root project precedes the adapter in
    dispatch) to translate the column types. -#}
{% macro spark__create_csv_table(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}

  {% set sql %}
    create table {{ this.render() }} (
        {%- for col_name in agate_table.column_names -%}
            {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
            {%- set type = spark_data_type(column_override.get(col_name, inferred_type)) -%}
            {%- set column_name = (col_name | string) -%}
            {{ adapter.quote_seed_column(column_name, quote_seed_column) }} {{ type }} {%- if not loop.last -%}, {%- endif -%}
        {%- endfor -%}
    )
    {{ file_format_clause() }}
    {{ partition_cols(label="partitioned by") }}
    {{ clustered_cols(label="clustered by") }}
    {{ location_clause() }}
    {{ comment_clause() }}
  {% endset %}

  {% call statement('_') -%}
    {{ sql }}
  {%- endcall %}

  {{ return(sql) }}
{% endmacro %}

{#- Overrides dbt-spark's seed loader: literal values (NULL stays NULL) in translated types. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set batch_size = get_batch_size() -%}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set types = [] -%}
  {%- for col_name in agate_table.column_names -%}
      {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
      {%- do types.append(spark_data_type(column_override.get(col_name, inferred_type))) -%}
  {%- endfor -%}

  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(batch_size) -%}
      {%- set sql -%}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for value in row -%}
                  {{ spark_seed_literal(value, types[loop.index0]) }}
                  {%- if not loop.last %}, {% endif -%}
              {%- endfor -%})
              {%- if not loop.last %},{% endif %}
          {% endfor -%}
      {%- endset -%}
      {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
      {%- if loop.index0 == 0 -%}
          {%- do statements.append(sql) -%}
      {%- endif -%}
  {%- endfor -%}

  {{ return(statements[0] if statements else '') }}
{% endmacro %}

{#- --------------------------------------------------------- dbt.dateadd -#}

{#- dbt-spark's dateadd multiplies the interval without parentheses (`cast(x - 1999 * 12 as int)`
    for an interval `x - 1999` in years), so an expression interval is off. Same macro with the
    interval parenthesised; the result is a timestamp, as in dbt-spark. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) %}
    {%- set clock_component -%}
        to_unix_timestamp({{ assert_not_null('to_timestamp', from_date_or_timestamp) }})
        - to_unix_timestamp({{ assert_not_null('date', from_date_or_timestamp) }})
    {%- endset -%}

    {%- if datepart in ['day', 'week'] -%}
        {%- set multiplier = 7 if datepart == 'week' else 1 -%}
        to_timestamp(
            to_unix_timestamp(
                date_add(
                    {{ assert_not_null('date', from_date_or_timestamp) }},
                    cast(({{ interval }}) * {{ multiplier }} as int)
                )
            ) + {{ clock_component }}
        )
    {%- elif datepart in ['month', 'quarter', 'year'] -%}
        {%- set multiplier = {'month': 1, 'quarter': 3, 'year': 12}[datepart] -%}
        to_timestamp(
            to_unix_timestamp(
                add_months(
                    {{ assert_not_null('date', from_date_or_timestamp) }},
                    cast(({{ interval }}) * {{ multiplier }} as int)
                )
            ) + {{ clock_component }}
        )
    {%- elif datepart in ['hour', 'minute', 'second'] -%}
        {%- set multiplier = {'hour': 3600, 'minute': 60, 'second': 1}[datepart] -%}
        to_timestamp(
            {{ assert_not_null('to_unix_timestamp', from_date_or_timestamp) }}
            + cast(({{ interval }}) * {{ multiplier }} as int)
        )
    {%- else -%}
        {{ exceptions.raise_compiler_error("macro dateadd not implemented for datepart '" ~ datepart ~ "' on Spark") }}
    {%- endif -%}
{% endmacro %}

{#- ---------------------------------------------------- model contracts -#}

{#- dbt-spark adds a contract's constraints with ALTER TABLE, which only Delta tables support,
    and assumes Delta when no file_format is configured. Spark's default table format here is
    Parquet, so constraints are only persisted for tables configured `file_format: delta`; the
    contract's column names and types are checked either way, and the not_null data tests still
    run. -#}
{% macro spark__persist_constraints(relation, model) %}
  {%- set contract_config = config.get('contract') -%}
  {%- if contract_config.enforced and config.get('file_format') == 'delta' -%}
    {%- do alter_table_add_constraints(relation, model.constraints) -%}
    {%- do alter_column_set_constraints(relation, model.columns) -%}
  {%- endif -%}
{% endmacro %}
