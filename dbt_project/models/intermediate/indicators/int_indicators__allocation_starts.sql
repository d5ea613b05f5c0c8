-- DEFINITIONS §5: start of care = the earliest begindatum of the allocation's net positive
-- declarations (lines netted per begindatum: a debit fully credited is no start); waiting days =
-- start of care − toewijzingsdatum. For allocations with a start norm (REFERENCE_DATA), the
-- outcome as of the peildatum:
--   within   started, waiting days ≤ norm (exactly on the norm day is within)
--   late     started after the norm, or not started while the norm has passed at the peildatum
--   pending  not started and the norm has not passed yet (outcome unknown: provisional)
with allocations as (
    select * from {{ ref('int_indicators__allocations') }}
),

lines as (
    select
        gemeentecode,
        toewijzingnummer,
        begindatum,
        net_amount_cents,
        net_volume
    from {{ ref('int_declarations__netted') }}
),

-- The days (per allocation, as the lines name it: gemeentecode + toewijzingnummer, and
-- begindatum) on which some line subtracts: a credit.
subtracting_days as (
    select distinct
        gemeentecode,
        toewijzingnummer,
        begindatum
    from lines
    where net_amount_cents < 0 or net_volume < 0
),

-- The days whose lines net positive. On a day without a subtracting line every amount and
-- volume is ≥ 0 (or empty), so the day's sums are positive exactly when one of its lines is:
-- such lines are taken as they are, and only the few days with a credit are netted. The same
-- days as netting every day (≈ 60M lines nationally), at two thirds of the time.
declared_days as (
    select
        gemeentecode,
        toewijzingnummer,
        begindatum
    from lines
    where (net_amount_cents > 0 or net_volume > 0)
        and not exists (
            select 1
            from subtracting_days
            where subtracting_days.gemeentecode = lines.gemeentecode
                and subtracting_days.toewijzingnummer = lines.toewijzingnummer
                and subtracting_days.begindatum = lines.begindatum
        )
    union all
    select
        gemeentecode,
        toewijzingnummer,
        begindatum
    from lines
    where exists (
            select 1
            from subtracting_days
            where subtracting_days.gemeentecode = lines.gemeentecode
                and subtracting_days.toewijzingnummer = lines.toewijzingnummer
                and subtracting_days.begindatum = lines.begindatum
        )
    group by gemeentecode, toewijzingnummer, begindatum
    having sum(net_amount_cents) > 0 or sum(net_volume) > 0
),

starts as (
    select
        gemeentecode,
        toewijzingnummer,
        min(begindatum) as start_of_care
    from declared_days
    group by gemeentecode, toewijzingnummer
),

measured as (
    select
        allocations.*,
        cast(extract(year from allocations.toewijzingsdatum) as integer) as issue_year,
        starts.start_of_care,
        cast({{ dbt.datediff('allocations.toewijzingsdatum', 'starts.start_of_care', 'day') }} as integer)
            as waiting_days,
        cast({{ dbt.datediff('allocations.toewijzingsdatum', peildatum(), 'day') }} as integer)
            as days_issued_at_peildatum
    from allocations
    left join starts
        on allocations.gemeentecode = starts.gemeentecode
            and allocations.toewijzingnummer = starts.toewijzingnummer
)

select
    *,
    case
        when norm_days is null then null
        when start_of_care is not null and waiting_days <= norm_days then 'within'
        when start_of_care is not null then 'late'
        when days_issued_at_peildatum > norm_days then 'late'
        else 'pending'
    end as norm_outcome
from measured
