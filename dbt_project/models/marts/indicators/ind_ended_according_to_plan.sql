-- DEFINITIONS §6 ended_according_to_plan: of jeugdhulp allocations that ended in the year
-- (einddatum in the year and before the peildatum), the % whose reden_beeindiging is an
-- according-to-plan code (seed ijw_reden_beeindiging: 31). No reden counts as not according to
-- plan. Per regio, gemeente, aanbieder and regional segment of the allocation.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select
        *,
        cast(extract(year from einddatum) as integer) as period_year
    from {{ ref('int_indicators__allocations') }}
    where einddatum < {{ peildatum() }}
)

{{ indicator_rollup(
    'facts', 'ended_according_to_plan', 'percent',
    numerator='sum(case when is_according_to_plan then 1 else 0 end)',
    denominator='count(*)',
    value='percent',
    levels=('regio', 'gemeente', 'aanbieder', 'segment')
) }}
