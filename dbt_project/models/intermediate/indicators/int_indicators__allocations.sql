-- DEFINITIONS §6 (and REFERENCE_DATA): every effective jeugdhulp allocation with the flags the
-- indicators read. Non-jeugdhulp products (42, 47, 48, 49) count in no indicator.
--   is_residential        Twente's "verblijf": flagged verblijf and not wonen (pleegzorg and
--                         gezinshuis are wonen and count in none of the verblijf indicators)
--   is_ambulant_segment   the allocation's segment is the region's ambulant segment (seed
--                         segment_roles; Noord-Limburg "4 Ambulant", Twente "Ambulant")
--   is_intensive_segment  segment 1 and its equivalents: verblijf, ambulante alternatieven, crisis
--   norm_days             start-of-care norm of the hulpvorm (seed start_of_care_norms); the
--                         verblijf norm applies to residential products only
--   is_according_to_plan  the reason for ending (§5, fct_allocations: JW307, else the allocations
--                         column) is an according-to-plan code (seed ijw_reden_beeindiging);
--                         false when the reason is unknown (reason_for_ending says which)
--   start_of_care …       the §5 derived facts of fct_allocations, passed on as they are
--   client_id             the client's integer stand-in (stg_raw__clients): the client-level
--                         indicator facts group and count on it instead of the 64-character key
with allocations as (
    select * from {{ ref('fct_allocations') }}
    where counts_as_jeugdhulp
),

segment_roles as (
    select * from {{ ref('segment_roles') }}
),

norms as (
    select * from {{ ref('start_of_care_norms') }}
),

reasons as (
    select * from {{ ref('ijw_reden_beeindiging') }}
),

clients as (
    select * from {{ ref('stg_raw__clients') }}
),

flagged as (
    select
        -- keys
        allocations.allocation_key,
        allocations.toewijzingnummer,
        allocations.client_key,
        clients.client_id,
        allocations.trajectory_id,
        allocations.regio,
        allocations.gemeentecode,
        allocations.aanbieder_agb,
        coalesce(allocations.segment, 'onbekend') as segment,
        -- product
        coalesce(allocations.catalogue_productcode, allocations.productcode, allocations.productcategorie)
            as product,
        allocations.hulpvorm,
        allocations.intensity,
        allocations.zwaarte,
        -- dates
        allocations.ingangsdatum,
        allocations.einddatum,
        allocations.toewijzingsdatum,
        allocations.reden_beeindiging,
        -- derived facts (§5, fct_allocations)
        allocations.start_of_care,
        allocations.start_of_care_basis,
        allocations.waiting_days,
        allocations.care_end_date,
        allocations.is_ended,
        allocations.reason_for_ending,
        allocations.reason_source,
        allocations.goals_achieved,
        allocations.goals_reported_on,
        allocations.is_continuation,
        -- flags
        allocations.is_verblijf and not allocations.is_wonen as is_residential,
        allocations.is_wonen,
        allocations.is_ambulant_alternatief,
        allocations.is_maatwerk,
        allocations.is_duurzaam,
        allocations.is_ggz,
        coalesce(allocations.hulpvorm = 'crisis', false) as is_crisis,
        coalesce(segment_roles.is_ambulant, false) as is_ambulant_segment,
        coalesce(segment_roles.is_intensive, false) as is_intensive_segment,
        coalesce(reasons.is_according_to_plan, false) as is_according_to_plan,
        case
            when allocations.hulpvorm <> 'verblijf' or (allocations.is_verblijf and not allocations.is_wonen)
                then cast(norms.norm_days as integer)
        end as norm_days
    from allocations
    left join segment_roles
        on allocations.regio = segment_roles.regio
            and allocations.segment = segment_roles.segment
    left join norms
        on allocations.hulpvorm = norms.hulpvorm
    left join reasons
        on allocations.reason_for_ending = reasons.reden_beeindiging
    left join clients
        on allocations.client_key = clients.client_key
)

select * from flagged
