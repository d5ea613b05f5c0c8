-- DEFINITIONS §6 clients_ambulatory: distinct clients with an active allocation in the region's
-- ambulant segment (seed segment_roles), excluding ambulante alternatieven.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
    where has_ambulant
)

{{ indicator_rollup(
    'facts', 'clients_ambulatory', 'clients',
    numerator='count(distinct client_id)',
    client='client_id'
) }}
