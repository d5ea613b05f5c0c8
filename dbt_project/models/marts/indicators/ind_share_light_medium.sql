-- DEFINITIONS §6 share_light_medium: of distinct clients with an active GGZ allocation in the year,
-- the % whose active GGZ allocations in the year (in the regio) are all licht or midden.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
    where has_ggz
)

{{ indicator_rollup(
    'facts', 'share_light_medium', 'percent',
    numerator='count(distinct case when client_ggz_light_medium_only then client_id end)',
    denominator='count(distinct client_id)',
    value='percent',
    client='client_id'
) }}
