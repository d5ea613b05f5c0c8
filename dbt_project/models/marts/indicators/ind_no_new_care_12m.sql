-- DEFINITIONS §6 no_new_care_12m: of client trajectories that ended in the year (status ended or
-- closed), the % with no new jeugdhulp allocation starting within 12 months after the end. A cell
-- is provisional while a trajectory is `ended` or its 12 months are not over without new care.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__trajectory_ends') }}
)

{{ indicator_rollup(
    'facts', 'no_new_care_12m', 'percent',
    numerator='sum(case when has_new_care_12m then 0 else 1 end)',
    denominator='count(*)',
    value='percent',
    provisional='is_provisional or (new_care_window_open and not has_new_care_12m)',
    levels=('regio', 'gemeente')
) }}
