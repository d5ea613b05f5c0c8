-- One row per effective allocation (DEFINITIONS §2) with its product attributes (§3), the
-- jeugdhulp trajectory it belongs to (§4; empty for products that are not jeugdhulp) and the
-- derived facts of §5 with their source (int_allocations__derived_facts, where each is defined).
with effective as (
    select * from {{ ref('int_allocations__effective') }}
),

derived as (
    select * from {{ ref('int_allocations__derived_facts') }}
),

chained as (
    select
        allocation_key,
        client_key,
        trajectory_seq
    from {{ ref('int_allocations__chained') }}
),

trajectories as (
    select
        chained.allocation_key,
        traj.trajectory_id
    from chained
    inner join {{ ref('int_trajectories__summarised') }} as traj
        on chained.client_key = traj.client_key
            and chained.trajectory_seq = traj.trajectory_seq
)

select
    -- keys
    effective.allocation_key,
    effective.toewijzingnummer,
    effective.gemeentecode,
    effective.regio,
    effective.aanbieder_agb,
    effective.client_key,
    trajectories.trajectory_id,
    -- product
    effective.productcategorie,
    effective.productcode,
    effective.catalogue_productcode,
    effective.hulpvorm,
    effective.segment,
    effective.intensity,
    effective.zwaarte,
    -- dates
    effective.ingangsdatum,
    effective.einddatum,
    effective.toewijzingsdatum,
    -- attributes
    effective.volume,
    effective.eenheid,
    effective.frequentie,
    effective.verwijzer_type,
    effective.reden_beeindiging,
    effective.age_band,
    effective.n_versions,
    -- flags
    effective.counts_as_jeugdhulp,
    effective.is_verblijf,
    effective.is_wonen,
    effective.is_ambulant_alternatief,
    effective.is_maatwerk,
    effective.is_duurzaam,
    effective.is_ggz,
    -- derived facts (§5)
    derived.start_of_care,
    derived.start_of_care_basis,
    derived.waiting_days,
    derived.care_end_date,
    derived.is_ended,
    derived.reason_for_ending,
    derived.reason_source,
    derived.referrer,
    derived.referrer_source,
    derived.goals_achieved,
    derived.goals_reported_on,
    derived.is_continuation
from effective
left join trajectories
    on effective.allocation_key = trajectories.allocation_key
left join derived
    on effective.allocation_key = derived.allocation_key
