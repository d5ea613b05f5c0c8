-- DEFINITIONS §6 waiting_list: at each month end up to the peildatum, every allocation with a
-- start norm that was issued and has not started (no start of care yet) and has not ended. It is
-- on the waiting list when more days than its norm have passed since toewijzingsdatum (a wait of
-- exactly the norm is not late). `is_year_value` marks the month end whose count is the year's
-- value: December 31, or for the peildatum's year the last month end on or before the peildatum.
with allocations as (
    select * from {{ ref('int_indicators__allocation_starts') }}
    where norm_days is not null
),

month_ends as (
    select
        month_end,
        cast(extract(year from month_end) as integer) as period_year
    from ({{ indicator_month_ends() }}) as spine
    where month_end <= {{ peildatum() }}
        and month_end >= (select min(first_issued.toewijzingsdatum) from allocations as first_issued)
),

year_value_months as (
    select
        month_end,
        period_year,
        month_end = max(month_end) over (partition by period_year) as is_year_value
    from month_ends
),

awaiting as (
    select
        year_value_months.period_year,
        year_value_months.month_end,
        year_value_months.is_year_value,
        allocations.allocation_key,
        allocations.client_key,
        allocations.regio,
        allocations.gemeentecode,
        allocations.segment,
        allocations.aanbieder_agb,
        allocations.hulpvorm,
        allocations.is_ambulant_segment,
        allocations.norm_days,
        allocations.start_of_care_basis,
        cast({{ dbt.datediff('allocations.toewijzingsdatum', 'year_value_months.month_end', 'day') }} as integer)
            as days_waiting
    from allocations
    inner join year_value_months
        on allocations.toewijzingsdatum <= year_value_months.month_end
            and (allocations.start_of_care is null or allocations.start_of_care > year_value_months.month_end)
            and (allocations.einddatum is null or allocations.einddatum >= year_value_months.month_end)
)

select
    *,
    days_waiting > norm_days as is_waiting
from awaiting
