{#-
  DEFINITIONS §2.1 — rules of the iJw message cycle (starts, stops, requests, declaration
  answers) and the outcome reports, written once for the staging models.
-#}

{#- The latest message per key: highest `date_column`; an undated message ranks below dated
    ones, then the later file, then the later row (the allocations' rule, §2). -#}
{% macro latest_message_rank(partition_by, date_column='dagtekening') -%}
    row_number() over (
        partition by {{ partition_by }}
        order by {{ nulls_last_key(date_column) }}, {{ date_column }} desc, _file_seq desc, _source_row desc
    )
{%- endmacro %}

{#- §2.1: a declaration line is rejected when its answer carries any retourcode other than
    0200 ("geen opmerking"). `retourcodes` is space separated; every code is wrapped in spaces
    (two between neighbours) so removing " 0200 " leaves only the other codes. -#}
{% macro retourcodes_reject(retourcodes) -%}
    {{ return(adapter.dispatch('retourcodes_reject', 'jeugdhulp')(retourcodes)) }}
{%- endmacro %}

{% macro default__retourcodes_reject(retourcodes) -%}
    (trim(replace(' ' || regexp_replace(trim(coalesce({{ retourcodes }}, '')), '\s+', '  ', 'g') || ' ', ' 0200 ', '')) <> '')
{%- endmacro %}

{% macro spark__retourcodes_reject(retourcodes) -%}
    (trim(replace(concat(' ', regexp_replace(trim(coalesce({{ retourcodes }}, '')), '\\s+', '  '), ' '), ' 0200 ', '')) <> '')
{%- endmacro %}
