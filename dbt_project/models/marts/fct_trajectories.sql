-- DEFINITIONS §4: one row per jeugdhulp trajectory of a client (published contract).
with trajectories as (
    select * from {{ ref('int_trajectories__summarised') }}
)

select
    -- keys
    trajectory_id,
    client_key,
    gemeentecode,
    -- dates
    start_date,
    end_date,
    status,
    -- measures
    duration_days,
    n_allocations,
    -- re-entry
    is_reentry,
    gap_days,
    previous_trajectory_id
from trajectories
