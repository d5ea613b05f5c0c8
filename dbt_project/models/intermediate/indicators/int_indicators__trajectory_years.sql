-- DEFINITIONS §6: one row per client trajectory and calendar year it is active in (start to end,
-- never after the peildatum's year), with the steps of that year. A trajectory belongs to the
-- gemeente of its first allocation (fct_trajectories.gemeentecode) and that gemeente's regio.
with trajectories as (
    select * from {{ ref('fct_trajectories') }}
),

steps as (
    select * from {{ ref('int_indicators__trajectory_steps') }}
),

regions as (
    select * from {{ ref('regions') }}
),

years as (
    {{ indicator_years() }}
),

trajectory_years as (
    select
        years.period_year,
        trajectories.trajectory_id,
        trajectories.client_key,
        coalesce(regions.regio, 'onbekend') as regio,
        trajectories.gemeentecode,
        trajectories.status
    from trajectories
    inner join years
        on
            {{ active_in_year('trajectories.start_date', 'trajectories.end_date', 'years.period_year') }}
            and years.period_year <= extract(year from {{ peildatum() }})
    left join regions
        on trajectories.gemeentecode = regions.gemeentecode
),

step_counts as (
    select
        trajectory_id,
        step_year,
        cast(sum(case when is_scale_up then 1 else 0 end) as integer) as n_scale_up,
        cast(sum(case when is_scale_down then 1 else 0 end) as integer) as n_scale_down,
        cast(sum(case when is_escalation then 1 else 0 end) as integer) as n_escalations
    from steps
    group by trajectory_id, step_year
)

select
    trajectory_years.*,
    coalesce(step_counts.n_scale_up, 0) as n_scale_up,
    coalesce(step_counts.n_scale_down, 0) as n_scale_down,
    coalesce(step_counts.n_escalations, 0) as n_escalations
from trajectory_years
left join step_counts
    on trajectory_years.trajectory_id = step_counts.trajectory_id
        and trajectory_years.period_year = step_counts.step_year
