-- Published contract: the indicator catalogue (DEFINITIONS §6), one row per indicator_code that
-- fct_indicator_values publishes, from the seed seeds/reference/indicators.csv, with the derived
-- facts (§5) each indicator needs that can be proxy or unknown (§7).
with indicators as (
    select * from {{ ref('indicators') }}
)

select
    cast(indicator_code as {{ dbt.type_string() }}) as indicator_code,
    cast(name_nl as {{ dbt.type_string() }}) as name_nl,
    cast(name_en as {{ dbt.type_string() }}) as name_en,
    cast(definition as {{ dbt.type_string() }}) as definition,
    cast(unit as {{ dbt.type_string() }}) as unit,
    cast(direction as {{ dbt.type_string() }}) as direction,
    cast(spec_section as {{ dbt.type_string() }}) as spec_section,
    cast(source_document as {{ dbt.type_string() }}) as source_document,
    cast(facts_needed as {{ dbt.type_string() }}) as facts_needed
from indicators
