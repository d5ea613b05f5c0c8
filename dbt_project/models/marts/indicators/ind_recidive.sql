-- DEFINITIONS §4/§6 recidive: re-entries (a trajectory after a break of six months or more) that
-- start in the year.
--   recidive      distinct clients with a re-entry trajectory starting in the year
--   recidive_pct  re-entry trajectories as % of all trajectories starting in the year
-- Regio and gemeente rows count client trajectories (gemeente of the first allocation). Segment
-- rows count segment trajectories of that regional segment: a re-entry into the segment after
-- six months without it (the Ambulant target of Twente).
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with regions as (
    select * from {{ ref('regions') }}
),

client_starts as (
    select
        cast(extract(year from trajectories.start_date) as integer) as period_year,
        coalesce(regions.regio, 'onbekend') as regio,
        trajectories.gemeentecode,
        trajectories.trajectory_id,
        trajectories.client_key,
        trajectories.is_reentry
    from {{ ref('fct_trajectories') }} as trajectories
    left join regions
        on trajectories.gemeentecode = regions.gemeentecode
),

segment_starts as (
    select
        cast(extract(year from trajectories.start_date) as integer) as period_year,
        coalesce(regions.regio, 'onbekend') as regio,
        trajectories.gemeentecode,
        trajectories.dimension_value as segment,
        trajectories.segment_trajectory_id as trajectory_id,
        trajectories.client_key,
        trajectories.is_reentry
    from {{ ref('fct_segment_trajectories') }} as trajectories
    left join regions
        on trajectories.gemeentecode = regions.gemeentecode
    where trajectories.dimension = 'segment'
)

{%- set clients = 'count(distinct case when is_reentry then client_key end)' %}
{%- set reentries = 'sum(case when is_reentry then 1 else 0 end)' %}

{{ indicator_rollup('client_starts', 'recidive', 'clients', numerator=clients, n_clients=clients,
    levels=('regio', 'gemeente')) }}
union all
{{ indicator_rollup('segment_starts', 'recidive', 'clients', numerator=clients, n_clients=clients,
    levels=('segment', 'gemeente_segment')) }}
union all
{{ indicator_rollup('client_starts', 'recidive_pct', 'percent', numerator=reentries,
    denominator='count(*)', value='percent', levels=('regio', 'gemeente')) }}
union all
{{ indicator_rollup('segment_starts', 'recidive_pct', 'percent', numerator=reentries,
    denominator='count(*)', value='percent', levels=('segment', 'gemeente_segment')) }}
