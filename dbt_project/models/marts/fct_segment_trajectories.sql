-- DEFINITIONS §4, last paragraph: trajectories per hulpvorm and per segment of the region.
with chained as (
    select * from {{ ref('int_allocations__segment_chained') }}
),

summarised as (
    {{ summarise_trajectories('chained', ['client_key', 'dimension', 'dimension_value']) }}
)

select
    -- keys
    trajectory_id as segment_trajectory_id,
    client_key,
    dimension,
    dimension_value,
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
    previous_trajectory_id as previous_segment_trajectory_id
from summarised
