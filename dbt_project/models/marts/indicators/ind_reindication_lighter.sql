-- DEFINITIONS §6 reindication_lighter: of client trajectories that ended in the year and have a
-- re-indication (a step after the first), the % whose later steps are all of the same or a lower
-- rank than the first step.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__trajectory_ends') }}
    where has_reindication
)

{{ indicator_rollup(
    'facts', 'reindication_lighter', 'percent',
    numerator='sum(case when reindication_not_heavier then 1 else 0 end)',
    denominator='count(*)',
    value='percent',
    provisional='is_provisional',
    levels=('regio', 'gemeente')
) }}
