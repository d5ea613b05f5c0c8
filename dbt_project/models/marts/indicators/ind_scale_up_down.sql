-- DEFINITIONS §6 scale_up_down: transitions between consecutive steps of a client trajectory to a
-- higher rank (opschalen) or a lower rank (afschalen), in the year of the later step:
--   scale_up_count / scale_down_count  number of transitions
--   scale_up_pct / scale_down_pct      % of trajectories active in the year with at least one
-- Per regio and gemeente of the trajectory (gemeente of its first allocation).
-- int_indicators__trajectory_years holds a trajectory once per year (tested: unique trajectory_id
-- and period_year), and a trajectory has one gemeente and regio, so within a cell the rows *are*
-- the distinct trajectories: counted with count(…), not count(distinct trajectory_id), which
-- hashed the 32-character ids of ≈ 4M rows four times (nationally 13.6 → 7.1 s, the same cells).
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__trajectory_years') }}
)

{%- set levels = ('regio', 'gemeente') %}

{{ indicator_rollup('facts', 'scale_up_count', 'transitions', numerator='sum(n_scale_up)',
    n_clients='count(distinct case when n_scale_up > 0 then client_key end)', levels=levels) }}
union all
{{ indicator_rollup('facts', 'scale_down_count', 'transitions', numerator='sum(n_scale_down)',
    n_clients='count(distinct case when n_scale_down > 0 then client_key end)', levels=levels) }}
union all
{{ indicator_rollup('facts', 'scale_up_pct', 'percent',
    numerator='count(case when n_scale_up > 0 then 1 end)',
    denominator='count(*)', value='percent', levels=levels) }}
union all
{{ indicator_rollup('facts', 'scale_down_pct', 'percent',
    numerator='count(case when n_scale_down > 0 then 1 end)',
    denominator='count(*)', value='percent', levels=levels) }}
