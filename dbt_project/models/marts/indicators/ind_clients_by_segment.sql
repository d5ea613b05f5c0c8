-- DEFINITIONS §6 clients_by_segment: distinct clients with an active allocation in the regional
-- segment in the year (segment '' = all jeugdhulp; a client counts once in every segment).
-- Ephemeral: a step inlined into fct_indicator_values, never a table of its own, so no
-- unsuppressed cell (or its n_clients) reaches the published marts schema (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
)

{{ indicator_rollup(
    'facts', 'clients_by_segment', 'clients',
    numerator='count(distinct client_key)',
    levels=('regio', 'gemeente', 'segment', 'gemeente_segment')
) }}
