{#- REFERENCE_DATA: a legacy 2015 productcategorie (31–38) is read as its current successor where
    the seed ijw_productcategorie_2015 gives one; every other code is read as delivered. Written
    once here; both staging models select from it. `relation` has the delivered code as
    `delivered_productcategorie`; the result adds `productcategorie`, the code read. Ingestion
    reads the same seed to quarantine a legacy code without a successor. -#}
{% macro read_current_productcategorie(relation) -%}
    select
        {{ relation }}.*,
        coalesce(legacy.successor_productcategorie, {{ relation }}.delivered_productcategorie)
            as productcategorie
    from {{ relation }}
    left join {{ ref('ijw_productcategorie_2015') }} as legacy
        on {{ relation }}.delivered_productcategorie = legacy.productcategorie
{%- endmacro %}
