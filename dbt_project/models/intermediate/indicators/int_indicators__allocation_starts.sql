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

-- The lines of each allocation (gemeentecode, toewijzingnummer, as the lines name it), split by
-- whether their begindatum has a line that lowers the day's sums (a negative net amount or
-- volume: a credit). A day without one nets positive exactly when one of its lines is positive
-- (a sum of non-negative terms is positive when one term is), so those days need no sum per day:
-- the earliest positive line among them is their first start. Only the few days with a
-- lowering line (≈ 3 % of the lines nationally) are summed per day. The same start of care as
-- summing every day, without grouping tens of millions of lines on allocation and day.
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

-- per allocation: one row for its days without a lowering line, one per day with one
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

starts as (
    select
        gemeentecode,
        toewijzingnummer,
        min(
            case
                when lowering_day is null then first_positive_day
                when net_amount_cents > 0 or net_volume > 0 then lowering_day
            end
        ) as start_of_care
    from day_groups
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
