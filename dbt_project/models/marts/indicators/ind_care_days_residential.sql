-- DEFINITIONS §5/§6 care_days_residential: net declared etmalen of verblijf (not wonen) products,
-- in the year of the declaration's begindatum, per gemeente and aanbieder of the line.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__declaration_amounts') }}
    where is_residential
)

{{ indicator_rollup(
    'facts', 'care_days_residential', 'care_days',
    numerator='sum(net_care_days)',
    n_clients='count(distinct case when net_care_days > 0 then client_id end)'
) }}
