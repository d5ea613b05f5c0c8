-- DEFINITIONS §4/§6 avg_trajectory_days: mean duration in days of the trajectories that ended in
-- the year (status ended or closed; ongoing ones are censored). Segment '': client trajectories;
-- segment = a hulpvorm: segment trajectories of that hulpvorm, for verblijf the residential
-- stays (average length of stay). A cell with an `ended` (still extendable) trajectory is
-- provisional.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with client_trajectories as (
    select * from {{ ref('int_indicators__trajectory_durations') }}
    where segment = ''
),

hulpvorm_trajectories as (
    select * from {{ ref('int_indicators__trajectory_durations') }}
    where segment <> ''
)

{%- set args = dict(numerator='sum(duration_days)', denominator='count(*)', value='ratio',
    provisional='is_provisional') %}

{{ indicator_rollup('client_trajectories', 'avg_trajectory_days', 'days',
    levels=('regio', 'gemeente'), **args) }}
union all
{{ indicator_rollup('hulpvorm_trajectories', 'avg_trajectory_days', 'days',
    levels=('segment', 'gemeente_segment'), **args) }}
