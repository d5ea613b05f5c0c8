-- DEFINITIONS §6 cost_ambulatory: net cost in euros of products in the region's ambulant segment,
-- excluding ambulante alternatieven, by year of begindatum, gemeente and aanbieder of the line.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__declaration_amounts') }}
    where is_ambulant_segment
        and not is_ambulant_alternatief
)

{{ indicator_rollup(
    'facts', 'cost_ambulatory', 'euro',
    numerator='sum(net_amount_cents) / 100.0',
    n_clients='count(distinct case when net_amount_cents > 0 then client_id end)'
) }}
