-- DEFINITIONS §6 return_within_2y: of distinct clients whose ambulant-GGZ trajectory ended in the
-- year with an according-to-plan reden, the % with an allocation in ambulant GGZ or an intensive
-- segment (segment 1) starting within 24 months after the end. Provisional while the trajectory
-- is `ended` or its 24 months are not over without a return.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select
        *,
        end_year as period_year
    from {{ ref('int_indicators__ggz_trajectories') }}
    where status in ('ended', 'closed')
        and ended_according_to_plan
)

{{ indicator_rollup(
    'facts', 'return_within_2y', 'percent',
    numerator='count(distinct case when has_return_2y then client_key end)',
    denominator='count(distinct client_key)',
    value='percent',
    provisional="status = 'ended' or (return_window_open and not has_return_2y)",
    levels=('regio', 'gemeente')
) }}
