-- DEFINITIONS §6 attribution: client-year activity per gemeente, segment and aanbieder (one row
-- per cell a client had an active jeugdhulp allocation in), with
--   has_*     what the client had in that cell (the qualifying allocation of a client count), and
--   client_*  a property of the client's whole care in the regio and year, so a client counts
--             with the same answer in every cell they appear in (the "only"/"any" indicators).
-- The client is its integer client_id (1:1 with client_key in a build): the families count
-- distinct clients over ≈ 5M rows nationally, on an integer rather than a 64-character key.
with allocation_years as (
    select * from {{ ref('int_indicators__allocation_years') }}
),

cells as (
    select
        period_year,
        regio,
        gemeentecode,
        segment,
        aanbieder_agb,
        client_id,
        max(case when is_residential then 1 else 0 end) = 1 as has_residential,
        max(case when is_ambulant_alternatief then 1 else 0 end) = 1 as has_ambulant_alternative,
        max(case when is_ambulant_segment and not is_ambulant_alternatief then 1 else 0 end) = 1
            as has_ambulant,
        max(case when is_ggz then 1 else 0 end) = 1 as has_ggz,
        max(case when is_maatwerk then 1 else 0 end) = 1 as has_maatwerk,
        max(case when is_duurzaam then 1 else 0 end) = 1 as has_duurzaam
    from allocation_years
    group by period_year, regio, gemeentecode, segment, aanbieder_agb, client_id
),

clients as (
    select
        period_year,
        regio,
        client_id,
        -- residential_no_transfer: one provider and one product over the year's verblijf
        (
            count(distinct case when is_residential then aanbieder_agb end) = 1
            and count(distinct case when is_residential then product end) = 1
        ) as client_residential_single_placement,
        -- share_light_medium: every active GGZ allocation licht or midden
        max(case when is_ggz and coalesce(intensity, '') not in ('licht', 'midden') then 1 else 0 end) = 0
            as client_ggz_light_medium_only,
        max(case when is_maatwerk then 1 else 0 end) = 1 as client_has_maatwerk,
        max(case when is_duurzaam then 1 else 0 end) = 1 as client_has_duurzaam
    from allocation_years
    group by period_year, regio, client_id
)

select
    cells.*,
    clients.client_residential_single_placement,
    clients.client_ggz_light_medium_only,
    clients.client_has_maatwerk,
    clients.client_has_duurzaam
from cells
inner join clients
    on cells.period_year = clients.period_year
        and cells.regio = clients.regio
        and cells.client_id = clients.client_id
