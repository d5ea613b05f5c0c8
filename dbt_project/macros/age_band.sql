{#- DEFINITIONS §7: the birth date never leaves staging; it becomes an age band at the start of
    the allocation. Age = completed years (a child born 2010-12-31 is 3 on 2014-12-30, 4 on
    2014-12-31). Written once here. -#}
{% macro age_band(birth_date, on_date) -%}
    {%- set years = '(cast(extract(year from ' ~ on_date ~ ') as integer) - cast(extract(year from ' ~ birth_date ~ ') as integer)'
        ~ ' - case when cast(extract(month from ' ~ on_date ~ ') as integer) * 100 + cast(extract(day from ' ~ on_date ~ ') as integer)'
        ~ ' < cast(extract(month from ' ~ birth_date ~ ') as integer) * 100 + cast(extract(day from ' ~ birth_date ~ ') as integer) then 1 else 0 end)' -%}
    case
        when {{ birth_date }} is null then 'onbekend'
        when {{ years }} < 4 then '0-3'
        when {{ years }} < 12 then '4-11'
        when {{ years }} < 18 then '12-17'
        else '18+'
    end
{%- endmacro %}
