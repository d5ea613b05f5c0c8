-- DEFINITIONS §6 clients_residential: distinct clients with a verblijf (not wonen) allocation
-- active in the year; a client counts once in each gemeente and aanbieder they had one with.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
    where has_residential
)

{{ indicator_rollup(
    'facts', 'clients_residential', 'clients',
    numerator='count(distinct client_id)',
    client='client_id'
) }}
