{#- DEFINITIONS §5 "hours": net declared volume × the unit's hours factor. Time is summed in
    whole minutes (seed `units.minutes_per_unit`: the hours factor × 60), which adds exactly
    and in any order; this turns a sum of minutes into hours, once, where a model publishes
    hours. Dividing per line and summing the fractions would make the last digits depend on
    the order DuckDB or Spark adds the rows in. -#}
{% macro minutes_to_hours(minutes) -%}
    ({{ minutes }}) / 60.0
{%- endmacro %}
