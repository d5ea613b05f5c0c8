-- DEFINITIONS §6 beds_in_use: net declared etmalen of verblijf (not wonen) in the year / days in
-- the year (365 or 366) = the average number of occupied places.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select
        *,
        cast({{ dbt.datediff(year_start('period_year'), year_end('period_year'), 'day') }} + 1 as integer)
            as days_in_year
    from {{ ref('int_indicators__declaration_amounts') }}
    where is_residential
)

{{ indicator_rollup(
    'facts', 'beds_in_use', 'places',
    numerator='sum(net_care_days)',
    denominator='max(days_in_year)',
    value='ratio',
    n_clients='count(distinct case when net_care_days > 0 then client_id end)'
) }}
