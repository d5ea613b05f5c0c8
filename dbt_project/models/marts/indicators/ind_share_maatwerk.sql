-- DEFINITIONS §6 share_maatwerk: of distinct clients with an active jeugdhulp allocation in the
-- year, the % with an active maatwerk/meerwerk product in the year (in the regio).
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
)

{{ indicator_rollup(
    'facts', 'share_maatwerk', 'percent',
    numerator='count(distinct case when client_has_maatwerk then client_id end)',
    denominator='count(distinct client_id)',
    value='percent',
    levels=('regio', 'gemeente', 'aanbieder', 'segment'),
    client='client_id'
) }}
