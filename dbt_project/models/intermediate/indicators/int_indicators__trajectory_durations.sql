-- A view: its one consumer (ind_avg_trajectory_days) runs it once.
{{ config(materialized='view') }}

-- DEFINITIONS §4/§6 avg_trajectory_days: every trajectory that ended (status ended or closed),
-- in the year of its end, with its duration and the breakdown it reports under:
--   segment ''           client trajectories (all jeugdhulp)
--   segment = hulpvorm   segment trajectories of that hulpvorm; for verblijf the residential
--                        stays (verblijf not wonen), i.e. the average length of stay
-- Ongoing trajectories are censored and excluded (§4); `ended` ones are provisional.
with client_trajectories as (
    select
        trajectory_id,
        client_key,
        gemeentecode,
        '' as segment,
        end_date,
        status,
        duration_days
    from {{ ref('fct_trajectories') }}
    where status in ('ended', 'closed')
),

hulpvorm_trajectories as (
    select
        segment_trajectory_id as trajectory_id,
        client_key,
        gemeentecode,
        dimension_value as segment,
        end_date,
        status,
        duration_days
    from {{ ref('fct_segment_trajectories') }}
    where dimension = 'hulpvorm'
        and dimension_value <> 'verblijf'
        and status in ('ended', 'closed')
),

stays as (
    select
        stay_id as trajectory_id,
        client_key,
        gemeentecode,
        'verblijf' as segment,
        end_date,
        status,
        duration_days
    from {{ ref('int_indicators__residential_stays') }}
    where status in ('ended', 'closed')
),

unioned as (
    select * from client_trajectories
    union all
    select * from hulpvorm_trajectories
    union all
    select * from stays
),

regions as (
    select * from {{ ref('regions') }}
)

select
    cast(extract(year from unioned.end_date) as integer) as period_year,
    unioned.trajectory_id,
    unioned.client_key,
    coalesce(regions.regio, 'onbekend') as regio,
    unioned.gemeentecode,
    unioned.segment,
    unioned.end_date,
    unioned.status,
    unioned.duration_days,
    unioned.status = 'ended' as is_provisional
from unioned
left join regions
    on unioned.gemeentecode = regions.gemeentecode
