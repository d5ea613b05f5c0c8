-- DEFINITIONS §6 goals_achieved (Noord-Limburg Kapstok, ≥ 90%): of clients with an allocation in
-- the region's ambulant segment (segment 4; seed segment_roles) whose care ended in the year (§5
-- end of care, before the peildatum) that has an outcome report (§2.1), the % whose latest report
-- says `ja` (`deels` and `nee` are not achieved). A client's report is the latest (rapportagedatum)
-- among the reports on those allocations in the regio and year (docs/DECISIONS.md). §7: a client
-- without a report is unknown and counts on neither side; members = all such clients, known =
-- those with a report.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with ended as (
    select
        *,
        cast(extract(year from care_end_date) as integer) as period_year
    from {{ ref('int_indicators__allocations') }}
    where is_ambulant_segment
        and care_end_date < {{ peildatum() }}
),

facts as (
    select
        *,
        first_value(goals_achieved) over (
            partition by period_year, regio, client_key
            order by
                {{ nulls_last_key('goals_reported_on') }},
                goals_reported_on desc,
                {{ nulls_last_key('goals_achieved') }},
                care_end_date desc,
                allocation_key
        ) as client_goals_achieved
    from ended
)

{%- set known = "count(distinct case when client_goals_achieved is not null then client_key end)" %}

{{ indicator_rollup(
    'facts', 'goals_achieved', 'percent',
    numerator="count(distinct case when client_goals_achieved = 'ja' then client_key end)",
    denominator=known,
    value='percent',
    levels=('regio', 'gemeente', 'aanbieder', 'segment'),
    members='count(distinct client_key)',
    known=known
) }}
