-- DEFINITIONS §6 clients_by_segment: distinct clients with an active allocation in the regional
-- segment in the year (segment '' = all jeugdhulp; a client counts once in every segment).
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
)

{{ indicator_rollup(
    'facts', 'clients_by_segment', 'clients',
    numerator='count(distinct client_id)',
    levels=('regio', 'gemeente', 'segment', 'gemeente_segment'),
    client='client_id'
) }}
