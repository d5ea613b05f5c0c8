-- DEFINITIONS §6 clients_ambulatory_alternatives: distinct clients with an ambulant-alternatief
-- allocation active in the year.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__client_years') }}
    where has_ambulant_alternative
)

{{ indicator_rollup(
    'facts', 'clients_ambulatory_alternatives', 'clients',
    numerator='count(distinct client_id)',
    client='client_id'
) }}
