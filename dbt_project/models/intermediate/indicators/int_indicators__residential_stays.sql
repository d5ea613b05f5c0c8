-- DEFINITIONS §4 applied to Twente's verblijf (flagged verblijf, not wonen) allocations of a
-- client: residential stays, for the average length of stay (avg_trajectory_days, hulpvorm
-- verblijf) and outflow_after_residential. For stays that ended (status ended or closed), what
-- followed in the six months after the end (the days end_date + 1 … end_date + 6 months − 1,
-- i.e. before the §4 gap threshold; the trajectory gap variable):
--   followed_by_wonen  a wonen allocation (pleegzorg, gezinshuis) active in that window
--   followed_by_home   no jeugdhulp allocation active in that window ("naar huis")
-- Both are provisional while the stay is `ended` (the window is not over at the peildatum).
with allocations as (
    select * from {{ ref('int_indicators__allocations') }}
),

residential as (
    select
        allocation_key,
        client_key,
        'residential' as stay_kind,
        gemeentecode,
        toewijzingnummer,
        ingangsdatum,
        einddatum
    from allocations
    where is_residential
),

chained as (
    {{ chain_allocations('residential', ['client_key', 'stay_kind']) }}
),

stays as (
    {{ summarise_trajectories('chained', ['client_key', 'stay_kind']) }}
),

regions as (
    select * from {{ ref('regions') }}
),

after_end as (
    select
        stays.trajectory_id,
        max(case when allocations.is_wonen then 1 else 0 end) = 1 as has_wonen,
        count(allocations.allocation_key) > 0 as has_any_care
    from stays
    inner join allocations
        on stays.client_key = allocations.client_key
            and {{ gap_threshold('stays.end_date') }} > allocations.ingangsdatum
            and (allocations.einddatum is null or stays.end_date < allocations.einddatum)
    where stays.status in ('ended', 'closed')
    group by stays.trajectory_id
)

select
    stays.trajectory_id as stay_id,
    stays.client_key,
    coalesce(regions.regio, 'onbekend') as regio,
    stays.gemeentecode,
    stays.start_date,
    stays.end_date,
    stays.status,
    stays.duration_days,
    stays.n_allocations,
    case when stays.status in ('ended', 'closed') then coalesce(after_end.has_wonen, false) end
        as followed_by_wonen,
    case when stays.status in ('ended', 'closed') then not coalesce(after_end.has_any_care, false) end
        as followed_by_home
from stays
left join after_end
    on stays.trajectory_id = after_end.trajectory_id
left join regions
    on stays.gemeentecode = regions.gemeentecode
