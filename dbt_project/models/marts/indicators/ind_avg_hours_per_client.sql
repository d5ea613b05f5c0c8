-- DEFINITIONS §5/§6 avg_hours_per_client: net declared hours (volume × the unit's hours factor,
-- summed as whole minutes and divided once; etmalen are never hours) in the year / distinct
-- clients with positive net hours in the cell.
-- Per regio, gemeente, aanbieder and regional segment (Noord-Limburg: 4 Ambulant).
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__declaration_amounts') }}
)

{%- set clients = 'count(distinct case when net_minutes > 0 then client_id end)' %}

{{ indicator_rollup(
    'facts', 'avg_hours_per_client', 'hours_per_client',
    numerator=minutes_to_hours('sum(net_minutes)'),
    denominator=clients,
    value='ratio',
    n_clients=clients,
    levels=('regio', 'gemeente', 'aanbieder', 'segment')
) }}
