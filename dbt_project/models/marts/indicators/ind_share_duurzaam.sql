-- DEFINITIONS §6 share_duurzaam: of distinct clients with an active allocation in the region's
-- ambulant segment in the year, the % with an active duurzaam product in the year (in the regio).
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
    where has_ambulant
)

{{ indicator_rollup(
    'facts', 'share_duurzaam', 'percent',
    numerator='count(distinct case when client_has_duurzaam then client_id end)',
    denominator='count(distinct client_id)',
    value='percent',
    client='client_id'
) }}
