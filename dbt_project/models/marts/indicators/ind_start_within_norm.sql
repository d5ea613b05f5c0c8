-- DEFINITIONS §6 start_within_norm: of allocations with a start norm (verblijf-not-wonen 42,
-- dyslexie 42, behandeling 98, begeleiding 14, screening 28 days) issued in the year, the % that
-- started within the norm of their hulpvorm. The segment column holds the hulpvorm. Open
-- outcomes (not started, norm not passed at the peildatum) are left out and make it provisional.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
-- §7: a cell counting a start of care taken from declarations (basis proxy, §5) is `proxy`.
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select
        allocation_key,
        client_key,
        issue_year as period_year,
        regio,
        gemeentecode,
        hulpvorm as segment,
        aanbieder_agb,
        norm_outcome,
        start_of_care_basis
    from {{ ref('int_indicators__allocation_starts') }}
    where norm_outcome is not null
)

{{ indicator_rollup(
    'facts', 'start_within_norm', 'percent',
    numerator="sum(case when norm_outcome = 'within' then 1 else 0 end)",
    denominator="sum(case when norm_outcome in ('within', 'late') then 1 else 0 end)",
    value='percent',
    n_clients="count(distinct case when norm_outcome in ('within', 'late') then client_key end)",
    provisional="norm_outcome = 'pending'",
    levels=('regio', 'gemeente', 'aanbieder', 'segment'),
    proxy="start_of_care_basis = 'proxy'"
) }}
