-- DEFINITIONS §4/§6: client trajectories that ended (status ended or closed), in the year of
-- their end_date, with the outcomes the end-based indicators need. `ended` trajectories are
-- provisional: a new allocation within six months would still extend them.
--   has_new_care_12m       the client's next trajectory starts within 12 months after the end
--                          (any later jeugdhulp allocation belongs to the next trajectory)
--   new_care_window_open   end + 12 months is not before the peildatum: the answer can change
--   has_same_or_heavier    a later step of the same or a heavier rank (same_or_heavier_within_6m)
--   has_reindication       more than one step; reindication_not_heavier: all later steps at most
--                          the first step's rank
with trajectories as (
    select * from {{ ref('fct_trajectories') }}
    where status in ('ended', 'closed')
),

steps as (
    select
        trajectory_id,
        cast(count(*) as integer) as n_steps,
        max(case when is_same_or_heavier then 1 else 0 end) = 1 as has_same_or_heavier,
        min(case when step_no = 1 or is_not_heavier_than_first then 1 else 0 end) = 1
            as later_steps_not_heavier
    from {{ ref('int_indicators__trajectory_steps') }}
    group by trajectory_id
),

next_trajectories as (
    select
        previous_trajectory_id,
        start_date
    from {{ ref('fct_trajectories') }}
    where previous_trajectory_id is not null
),

regions as (
    select * from {{ ref('regions') }}
)

select
    cast(extract(year from trajectories.end_date) as integer) as period_year,
    trajectories.trajectory_id,
    trajectories.client_key,
    coalesce(regions.regio, 'onbekend') as regio,
    trajectories.gemeentecode,
    trajectories.start_date,
    trajectories.end_date,
    trajectories.status,
    trajectories.duration_days,
    trajectories.status = 'ended' as is_provisional,
    coalesce(
        next_trajectories.start_date <= cast({{ dbt.dateadd('month', 12, 'trajectories.end_date') }} as date),
        false
    ) as has_new_care_12m,
    cast({{ dbt.dateadd('month', 12, 'trajectories.end_date') }} as date) >= {{ peildatum() }}
        as new_care_window_open,
    coalesce(steps.n_steps, 0) as n_steps,
    coalesce(steps.has_same_or_heavier, false) as has_same_or_heavier,
    coalesce(steps.n_steps, 0) > 1 as has_reindication,
    coalesce(steps.n_steps, 0) > 1 and coalesce(steps.later_steps_not_heavier, false)
        as reindication_not_heavier
from trajectories
left join steps
    on trajectories.trajectory_id = steps.trajectory_id
left join next_trajectories
    on trajectories.trajectory_id = next_trajectories.previous_trajectory_id
left join regions
    on trajectories.gemeentecode = regions.gemeentecode
