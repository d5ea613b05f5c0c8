-- DEFINITIONS §6 clients_ambulatory_alternatives: distinct clients with an ambulant-alternatief
-- allocation active in the year.
-- Ephemeral: a step inlined into fct_indicator_values, never a table of its own, so no
-- unsuppressed cell (or its n_clients) reaches the published marts schema (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
    where has_ambulant_alternative
)

{{ indicator_rollup('facts', 'clients_ambulatory_alternatives', 'clients', numerator='count(distinct client_key)') }}
