-- DEFINITIONS §6 clients_ambulatory: distinct clients with an active allocation in the region's
-- ambulant segment (seed segment_roles), excluding ambulante alternatieven.
-- Ephemeral: a step inlined into fct_indicator_values, never a table of its own, so no
-- unsuppressed cell (or its n_clients) reaches the published marts schema (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
    where has_ambulant
)

{{ indicator_rollup('facts', 'clients_ambulatory', 'clients', numerator='count(distinct client_key)') }}
