-- DEFINITIONS §5 — the facts derived from the message cycle (§2.1), one row per effective
-- allocation, each written here once with the source it came from. fct_allocations publishes
-- them; the indicators read them from there.
--   start_of_care / start_of_care_basis   §5 start of care: the JW305 begindatum ('observed');
--                          else the earliest begindatum of the allocation's net positive,
--                          non-rejected declaration lines ('proxy'); else empty (no basis)
--   waiting_days           §5: start_of_care − toewijzingsdatum, with the basis of the start
--   care_end_date          §5 end of care: the JW307 einddatum, else the allocation's einddatum
--   is_ended               the end of care is before the peildatum
--   reason_for_ending / reason_source   §5 reason for ending: the JW307 reden ('care_stops'),
--                          else the allocations column ('allocation'); an ended allocation with
--                          neither is 'unknown'; an allocation not ended and without one: empty
--   referrer / referrer_source   §5 referrer: the allocation's own verwijzer_type
--                          ('allocation'), else that of the JW315 request it answers ('request':
--                          same gemeentecode, aanbieder_agb, referentie_aanbieder), else 'unknown'
--   goals_achieved / goals_reported_on   §2.1/§6 the latest outcome report on the allocation
--                          (ja / deels / nee) and its rapportagedatum; empty without a report
--   is_continuation        §5 continuation: an earlier allocation of the same client, aanbieder
--                          and product (productcode, else productcategorie when it has none)
--                          ends at most var continuation_gap_days (31) days before this one
--                          starts, or overlaps it (or is open-ended)
with allocations as (
    select * from {{ ref('int_allocations__effective') }}
),

care_starts as (
    select * from {{ ref('stg_raw__care_starts') }}
),

care_stops as (
    select * from {{ ref('stg_raw__care_stops') }}
),

requests as (
    select * from {{ ref('stg_raw__allocation_requests') }}
),

outcome_reports as (
    select * from {{ ref('stg_raw__outcome_reports') }}
),

-- §5 proxy start: lines netted per begindatum (a debit fully credited is no start; a rejected
-- line is 0 in int_declarations__netted, so it starts nothing). Only the days with a lowering
-- line (a credit, ≈ 3 % of the lines) are summed per day; on the other days the earliest
-- positive line is the day's start (a sum of non-negative terms is positive when one term is).
lowering_days as (
    select distinct
        gemeentecode,
        toewijzingnummer,
        begindatum
    from {{ ref('int_declarations__netted') }}
    where net_amount_cents < 0 or net_volume < 0
),

lines as (
    select
        netted.gemeentecode,
        netted.toewijzingnummer,
        netted.begindatum,
        netted.net_amount_cents,
        netted.net_volume,
        lowering_days.begindatum as lowering_day
    from {{ ref('int_declarations__netted') }} as netted
    left join lowering_days
        on netted.gemeentecode = lowering_days.gemeentecode
            and netted.toewijzingnummer = lowering_days.toewijzingnummer
            and netted.begindatum = lowering_days.begindatum
),

day_groups as (
    select
        gemeentecode,
        toewijzingnummer,
        lowering_day,
        min(case when net_amount_cents > 0 or net_volume > 0 then begindatum end)
            as first_positive_day,
        sum(net_amount_cents) as net_amount_cents,
        sum(net_volume) as net_volume
    from lines
    group by gemeentecode, toewijzingnummer, lowering_day
),

declared_starts as (
    select
        gemeentecode,
        toewijzingnummer,
        min(
            case
                when lowering_day is null then first_positive_day
                when net_amount_cents > 0 or net_volume > 0 then lowering_day
            end
        ) as first_declared_day
    from day_groups
    group by gemeentecode, toewijzingnummer
),

-- §5 continuation: per client, aanbieder and product in start order, the latest end of the
-- earlier allocations (open-ended = far future) against this one's start.
product_runs as (
    select
        allocation_key,
        ingangsdatum,
        max(coalesce(einddatum, cast('9999-12-31' as date))) over (
            partition by client_key, aanbieder_agb, coalesce(productcode, 'categorie ' || productcategorie)
            order by ingangsdatum, {{ nulls_last_key('einddatum') }}, einddatum, toewijzingnummer
            rows between unbounded preceding and 1 preceding
        ) as earlier_covered_until
    from allocations
),

continuations as (
    select
        allocation_key,
        coalesce(
            earlier_covered_until is not null
            and ingangsdatum <= {{ date_add_days('earlier_covered_until', var('continuation_gap_days')) }},
            false
        ) as is_continuation
    from product_runs
),

facts as (
    select
        allocations.allocation_key,
        allocations.toewijzingsdatum,
        -- §5 start of care
        coalesce(care_starts.begindatum, declared_starts.first_declared_day) as start_of_care,
        case
            when care_starts.begindatum is not null then 'observed'
            when declared_starts.first_declared_day is not null then 'proxy'
        end as start_of_care_basis,
        -- §5 end of care
        coalesce(care_stops.einddatum, allocations.einddatum) as care_end_date,
        care_stops.reden_beeindiging as stop_reden,
        allocations.reden_beeindiging as allocation_reden,
        -- §5 referrer
        allocations.verwijzer_type as allocation_verwijzer,
        requests.verwijzer_type as request_verwijzer,
        -- §2.1 outcome report
        outcome_reports.doelen_behaald as goals_achieved,
        outcome_reports.rapportagedatum as goals_reported_on,
        continuations.is_continuation
    from allocations
    left join care_starts
        on allocations.gemeentecode = care_starts.gemeentecode
            and allocations.toewijzingnummer = care_starts.toewijzingnummer
    left join declared_starts
        on allocations.gemeentecode = declared_starts.gemeentecode
            and allocations.toewijzingnummer = declared_starts.toewijzingnummer
    left join care_stops
        on allocations.gemeentecode = care_stops.gemeentecode
            and allocations.toewijzingnummer = care_stops.toewijzingnummer
    left join requests
        on allocations.gemeentecode = requests.gemeentecode
            and allocations.aanbieder_agb = requests.aanbieder_agb
            and allocations.referentie_aanbieder = requests.referentie_aanbieder
    left join outcome_reports
        on allocations.gemeentecode = outcome_reports.gemeentecode
            and allocations.toewijzingnummer = outcome_reports.toewijzingnummer
    left join continuations
        on allocations.allocation_key = continuations.allocation_key
)

select
    -- keys
    allocation_key,
    -- §5 start of care and waiting days
    start_of_care,
    cast(start_of_care_basis as {{ dbt.type_string() }}) as start_of_care_basis,
    {{ days_between('toewijzingsdatum', 'start_of_care') }} as waiting_days,
    -- §5 end of care and reason for ending
    care_end_date,
    coalesce(care_end_date < {{ peildatum() }}, false) as is_ended,
    coalesce(stop_reden, allocation_reden) as reason_for_ending,
    cast(case
        when stop_reden is not null then 'care_stops'
        when allocation_reden is not null then 'allocation'
        when care_end_date < {{ peildatum() }} then 'unknown'
    end as {{ dbt.type_string() }}) as reason_source,
    -- §5 referrer
    coalesce(allocation_verwijzer, request_verwijzer) as referrer,
    cast(case
        when allocation_verwijzer is not null then 'allocation'
        when request_verwijzer is not null then 'request'
        else 'unknown'
    end as {{ dbt.type_string() }}) as referrer_source,
    -- §2.1 outcome report
    cast(goals_achieved as {{ dbt.type_string() }}) as goals_achieved,
    goals_reported_on,
    -- §5 continuation
    coalesce(is_continuation, false) as is_continuation
from facts
