-- DEFINITIONS §6 clients_residential: distinct clients with a verblijf (not wonen) allocation
-- active in the year; a client counts once in each gemeente and aanbieder they had one with.
-- Ephemeral: a step inlined into fct_indicator_values, never a table of its own, so no
-- unsuppressed cell (or its n_clients) reaches the published marts schema (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
    where has_residential
)

{{ indicator_rollup('facts', 'clients_residential', 'clients', numerator='count(distinct client_key)') }}
