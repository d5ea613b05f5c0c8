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

-- per allocation (gemeentecode, toewijzingnummer, as the lines name it) and begindatum
declared_days as (
    select
        gemeentecode,
        toewijzingnummer,
        begindatum
    from {{ ref('int_declarations__netted') }}
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
