-- DEFINITIONS §6 crisis_within_4w: of crisis allocations (hulpvorm crisis) that ended in the year
-- (einddatum in the year and before the peildatum), the % whose duration
-- (einddatum − ingangsdatum + 1) is at most 28 days.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select
        *,
        cast(extract(year from einddatum) as integer) as period_year,
        cast({{ dbt.datediff('ingangsdatum', 'einddatum', 'day') }} + 1 as integer) as duration_days
    from {{ ref('int_indicators__allocations') }}
    where is_crisis
        and einddatum < {{ peildatum() }}
)

{{ indicator_rollup(
    'facts', 'crisis_within_4w', 'percent',
    numerator='sum(case when duration_days <= 28 then 1 else 0 end)',
    denominator='count(*)',
    value='percent'
) }}
