-- DEFINITIONS §6 ended_according_to_plan (v2): of allocations in the region's ambulant segment
-- (segment 4; seed segment_roles) whose care ended in the year (end of care, §5, in the year and
-- before the peildatum) and whose reason for ending is known (§5: JW307, else the allocations
-- column), the % ended with an according-to-plan reden (seed ijw_reden_beeindiging: 31).
-- §7: an unknown reason counts on neither side; members = all ended allocations, known = those
-- with a reason (coverage = known / members; below min_coverage the cell is insufficient).
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select
        *,
        cast(extract(year from care_end_date) as integer) as period_year
    from {{ ref('int_indicators__allocations') }}
    where is_ambulant_segment
        and care_end_date < {{ peildatum() }}
)

{%- set known = 'sum(case when reason_for_ending is not null then 1 else 0 end)' %}

{{ indicator_rollup(
    'facts', 'ended_according_to_plan', 'percent',
    numerator='sum(case when reason_for_ending is not null and is_according_to_plan then 1 else 0 end)',
    denominator=known,
    value='percent',
    levels=('regio', 'gemeente', 'aanbieder', 'segment'),
    members='count(*)',
    known=known
) }}
