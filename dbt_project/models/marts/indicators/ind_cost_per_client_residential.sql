-- DEFINITIONS §6 cost_per_client_residential: net verblijf (not wonen) cost in euros in the year
-- / distinct clients with a positive net verblijf cost in the same cell (the clients behind the
-- amount; a debit fully credited, also by a credit filed in a later year, leaves no client).
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__declaration_amounts') }}
    where is_residential
)

{%- set clients = 'count(distinct case when net_amount_cents > 0 then client_id end)' %}

{{ indicator_rollup(
    'facts', 'cost_per_client_residential', 'euro_per_client',
    numerator='sum(net_amount_cents) / 100.0',
    denominator=clients,
    value='ratio',
    n_clients=clients
) }}
