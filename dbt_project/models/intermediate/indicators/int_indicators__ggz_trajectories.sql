-- DEFINITIONS §4 applied to a client's ambulant GGZ allocations (flag ggz, in the region's
-- ambulant segment): ambulant-GGZ trajectories, for return_within_2y. For trajectories that ended
-- (status ended or closed):
--   ended_according_to_plan  every allocation ending on the trajectory's end date has an
--                            according-to-plan reden_beeindiging (31)
--   has_return_2y            an ambulant GGZ allocation or one in an intensive segment
--                            (segment 1: verblijf, ambulante alternatieven, crisis) starts after
--                            the end and at most 24 months after it
--   return_window_open       end + 24 months is not before the peildatum: the answer can change
with allocations as (
    select * from {{ ref('int_indicators__allocations') }}
),

ggz as (
    select
        allocation_key,
        client_key,
        'ambulant_ggz' as chain_kind,
        gemeentecode,
        toewijzingnummer,
        ingangsdatum,
        einddatum,
        is_according_to_plan
    from allocations
    where is_ggz and is_ambulant_segment
),

chained as (
    {{ chain_allocations('ggz', ['client_key', 'chain_kind']) }}
),

trajectories as (
    {{ summarise_trajectories('chained', ['client_key', 'chain_kind']) }}
),

last_allocations as (
    select
        trajectories.trajectory_id,
        min(case when chained.is_according_to_plan then 1 else 0 end) = 1 as ended_according_to_plan
    from trajectories
    inner join chained
        on trajectories.client_key = chained.client_key
            and trajectories.trajectory_seq = chained.trajectory_seq
            and trajectories.end_date = chained.einddatum
    group by trajectories.trajectory_id
),

returns as (
    select
        trajectories.trajectory_id,
        count(allocations.allocation_key) > 0 as has_return_2y
    from trajectories
    inner join allocations
        on trajectories.client_key = allocations.client_key
            and trajectories.end_date < allocations.ingangsdatum
            and cast({{ dbt.dateadd('month', 24, 'trajectories.end_date') }} as date) >= allocations.ingangsdatum
            and ((allocations.is_ggz and allocations.is_ambulant_segment) or allocations.is_intensive_segment)
    group by trajectories.trajectory_id
),

regions as (
    select * from {{ ref('regions') }}
)

select
    trajectories.trajectory_id as ggz_trajectory_id,
    trajectories.client_key,
    coalesce(regions.regio, 'onbekend') as regio,
    trajectories.gemeentecode,
    trajectories.start_date,
    trajectories.end_date,
    trajectories.status,
    cast(extract(year from trajectories.end_date) as integer) as end_year,
    coalesce(last_allocations.ended_according_to_plan, false) as ended_according_to_plan,
    coalesce(returns.has_return_2y, false) as has_return_2y,
    cast({{ dbt.dateadd('month', 24, 'trajectories.end_date') }} as date) >= {{ peildatum() }}
        as return_window_open
from trajectories
left join last_allocations
    on trajectories.trajectory_id = last_allocations.trajectory_id
left join returns
    on trajectories.trajectory_id = returns.trajectory_id
left join regions
    on trajectories.gemeentecode = regions.gemeentecode
