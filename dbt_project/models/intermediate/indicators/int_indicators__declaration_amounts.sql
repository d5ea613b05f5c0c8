-- DEFINITIONS §5/§6: net declared amount, time (minutes) and care days per year (of the
-- declaration's begindatum: a credit filed later nets into the year of the period it corrects),
-- gemeente and aanbieder of the declaration line, client, and the product attributes of the
-- allocation the line was declared on. Lines on an allocation that is not an effective
-- jeugdhulp allocation (withdrawn, or transport/justice) count in no indicator.
with lines as (
    select * from {{ ref('int_declarations__netted') }}
),

allocations as (
    select * from {{ ref('int_indicators__allocations') }}
),

regions as (
    select * from {{ ref('regions') }}
),

-- The lines are first summed per year, allocation (as they name it: gemeentecode +
-- toewijzingnummer), aanbieder and client — about a year's months of lines in one row — and only
-- those sums are joined to their allocation and grouped on its attributes. Every sum is exact
-- (whole cents, whole minutes, whole days), so summing in two steps gives the same numbers.
-- Grouped by the integer client_id, the client as the families count it (no 64-character key is
-- looked up or written for ≈ 4.5M rows nationally).
per_allocation as (
    select
        period_year,
        gemeentecode,
        toewijzingnummer,
        aanbieder_agb,
        client_id,
        sum(net_amount_cents) as net_amount_cents,
        sum(net_minutes) as net_minutes,
        sum(net_care_days) as net_care_days
    from lines
    group by period_year, gemeentecode, toewijzingnummer, aanbieder_agb, client_id
),

attributed as (
    select
        lines.period_year,
        coalesce(regions.regio, 'onbekend') as regio,
        lines.gemeentecode,
        lines.aanbieder_agb,
        lines.client_id,
        allocations.segment,
        allocations.product,
        allocations.hulpvorm,
        allocations.is_residential,
        allocations.is_ambulant_alternatief,
        allocations.is_ambulant_segment,
        lines.net_amount_cents,
        lines.net_minutes,
        lines.net_care_days
    from per_allocation as lines
    inner join allocations
        on lines.gemeentecode = allocations.gemeentecode
            and lines.toewijzingnummer = allocations.toewijzingnummer
    left join regions
        on lines.gemeentecode = regions.gemeentecode
),

amounts as (
    select
        period_year,
        regio,
        gemeentecode,
        aanbieder_agb,
        client_id,
        segment,
        product,
        hulpvorm,
        is_residential,
        is_ambulant_alternatief,
        is_ambulant_segment,
        cast(sum(net_amount_cents) as bigint) as net_amount_cents,
        sum(net_minutes) as net_minutes,
        sum(net_care_days) as net_care_days
    from attributed
    group by
        period_year, regio, gemeentecode, aanbieder_agb, client_id, segment, product, hulpvorm,
        is_residential, is_ambulant_alternatief, is_ambulant_segment
)

select * from amounts
