-- DEFINITIONS §6 waiting_list: distinct clients with an allocation issued but not started beyond
-- its start norm, at the year's value month end (December 31; in the peildatum's year the last
-- month end on or before the peildatum). Cells exist wherever an allocation awaited its start,
-- so an empty waiting list shows as 0. The segment column holds the regional segment.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
-- §7: a waiting allocation whose start, once it came, is known from declarations only (basis
-- proxy, §5: later than the real one) makes the cell `proxy`.
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__waiting_list_monthly') }}
    where is_year_value
)

{%- set waiting = 'count(distinct case when is_waiting then client_key end)' %}

{{ indicator_rollup(
    'facts', 'waiting_list', 'clients',
    numerator=waiting,
    n_clients=waiting,
    levels=('regio', 'gemeente', 'aanbieder', 'segment'),
    proxy="is_waiting and start_of_care_basis = 'proxy'"
) }}
