-- DEFINITIONS §5/§6 escalation_during_trajectory: of distinct clients with a trajectory active in
-- the year, the % with an escalation (a step heavier than every earlier step of the trajectory)
-- starting in the year. Per regio and gemeente of the trajectory.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__trajectory_years') }}
)

{{ indicator_rollup(
    'facts', 'escalation_during_trajectory', 'percent',
    numerator='count(distinct case when n_escalations > 0 then client_key end)',
    denominator='count(distinct client_key)',
    value='percent',
    levels=('regio', 'gemeente')
) }}
