-- A view: its one consumer (int_indicators__client_years) reads a few of its columns once;
-- as a table it wrote every allocation column once per active year (≈ 10M rows nationally).
{{ config(materialized='view') }}

-- DEFINITIONS §6 "active in the year": one row per jeugdhulp allocation and calendar year its
-- period overlaps, up to the peildatum's year (a later year has not happened yet: an open-ended
-- allocation, or one with a planned end after it, is active up to the peildatum's year). An
-- allocation spanning New Year is active in both years.
with allocations as (
    select * from {{ ref('int_indicators__allocations') }}
),

years as (
    {{ indicator_years() }}
),

spread as (
    select
        years.period_year,
        allocations.*
    from allocations
    inner join years
        on
            {{ active_in_year('allocations.ingangsdatum', 'allocations.einddatum', 'years.period_year') }}
            and years.period_year <= extract(year from {{ peildatum() }})
)

select * from spread
