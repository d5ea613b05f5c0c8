-- DEFINITIONS §6 cost_ambulatory: net cost in euros of products in the region's ambulant segment,
-- excluding ambulante alternatieven, by year of begindatum, gemeente and aanbieder of the line.
-- Ephemeral: a step inlined into fct_indicator_values, never a table of its own, so no
-- unsuppressed cell (or its n_clients) reaches the published marts schema (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__declaration_amounts') }}
    where is_ambulant_segment
        and not is_ambulant_alternatief
)

{{ indicator_rollup(
    'facts', 'cost_ambulatory', 'euro',
    numerator='sum(net_amount_cents) / 100.0',
    n_clients='count(distinct case when net_amount_cents > 0 then client_key end)'
) }}
