{#-
  DEFINITIONS §4 — the peildatum: the reference date results are computed "as of".

  Read from `--vars '{"peildatum": "YYYY-MM-DD"}'` (or a unit test's `overrides: vars:`) when
  given, else from the environment variable JEUGDHULP_PEILDATUM (the pipeline sets it to the
  run's peildatum), else 2024-01-01.

  Only when dbt executes (`execute`), never while it parses: no model's parse depends on the
  date, and dbt re-parses what a parse read whenever it changes — the whole project for a
  command-line var (≈ 5 s, a tenth of a regional run), the reading files for an environment
  variable (≈ 3.5 s, mostly building dbt's own validation schemas). The peildatum changes every
  day; read at execution, a nightly run reuses the saved parse.
-#}
{% macro peildatum_value() -%}
    {%- if execute -%}
        {{- return(var('peildatum', none) or env_var('JEUGDHULP_PEILDATUM', '2024-01-01')) -}}
    {%- else -%}
        {{- return('2024-01-01') -}}
    {%- endif -%}
{%- endmacro %}

{% macro peildatum() -%}
    cast('{{ peildatum_value() }}' as date)
{%- endmacro %}
