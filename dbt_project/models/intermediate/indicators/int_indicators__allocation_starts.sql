-- DEFINITIONS §5/§6: the waits the indicators measure. Start of care, its basis (observed from
-- JW305 / proxy from declarations) and waiting days are derived once, in
-- int_allocations__derived_facts (via fct_allocations). A continuation (§5) extends care that was
-- already there: it has no wait of its own and is left out here (so from screening_within_4w,
-- start_within_norm and the waiting lists). For allocations with a start norm (REFERENCE_DATA),
-- the outcome as of the peildatum:
--   within   started, waiting days ≤ norm (exactly on the norm day is within)
--   late     started after the norm, or not started while the norm has passed at the peildatum
--   pending  not started and the norm has not passed yet (outcome unknown: provisional)
with allocations as (
    select * from {{ ref('int_indicators__allocations') }}
    where not coalesce(is_continuation, false)
),

measured as (
    select
        *,
        cast(extract(year from toewijzingsdatum) as integer) as issue_year,
        cast({{ dbt.datediff('toewijzingsdatum', peildatum(), 'day') }} as integer)
            as days_issued_at_peildatum
    from allocations
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
