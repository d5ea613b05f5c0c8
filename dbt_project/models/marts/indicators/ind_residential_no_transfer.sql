-- DEFINITIONS §6 residential_no_transfer: of clients in verblijf in the year, the % whose
-- verblijf in the year (all their active verblijf allocations in the regio) stayed with one
-- aanbieder and one product. The client's answer is the same in every cell they count in.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
    where has_residential
)

{{ indicator_rollup(
    'facts', 'residential_no_transfer', 'percent',
    numerator='count(distinct case when client_residential_single_placement then client_id end)',
    denominator='count(distinct client_id)',
    value='percent',
    client='client_id'
) }}
