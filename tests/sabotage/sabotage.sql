{#- Test-only macro, copied into a throw-away copy of the dbt project by tests/test_saboteurs.py
    (never part of the project itself). A post-hook of every model and seed: when the
    environment variable JEUGDHULP_SABOTAGE (JSON: {"<model or seed name>": ["<sql>", ...]})
    names the node just built, its statements run against it, `$this` standing for the node's
    relation. It plants one violation where a model change could have made it. -#}
{% macro sabotage() %}
    {%- set plan = fromjson(env_var('JEUGDHULP_SABOTAGE', '{}')) -%}
    {%- if this.identifier in plan -%}
        {%- for statement in plan[this.identifier] -%}
            {%- do log('sabotage of ' ~ this.identifier ~ ': ' ~ statement, info=true) -%}
            {%- do run_query(statement | replace('$this', this | string)) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
