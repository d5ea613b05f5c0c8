-- DEFINITIONS §6 harmful_waiting_list (Kapstok "schadelijke wachtlijst"): the waiting_list count
-- restricted to allocations in the region's ambulant segment (Noord-Limburg: 4 Ambulant).
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
-- §7: as waiting_list, a cell with a waiting allocation whose start is a proxy is `proxy`.
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__waiting_list_monthly') }}
    where is_year_value
        and is_ambulant_segment
)

{%- set waiting = 'count(distinct case when is_waiting then client_key end)' %}

{{ indicator_rollup(
    'facts', 'harmful_waiting_list', 'clients', numerator=waiting, n_clients=waiting,
    proxy="is_waiting and start_of_care_basis = 'proxy'"
) }}
