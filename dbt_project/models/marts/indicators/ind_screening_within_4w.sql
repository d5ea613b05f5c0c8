-- DEFINITIONS §6 screening_within_4w: of screening allocations issued in the year (year of
-- toewijzingsdatum), the % whose start of care is at most 28 days (the screening norm) after the
-- toewijzingsdatum. Allocations whose outcome is still open at the peildatum (not started, norm
-- not passed) are left out and make the cell provisional.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
-- §7: a cell counting a start of care taken from declarations (basis proxy, §5) is `proxy`.
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select
        *,
        issue_year as period_year
    from {{ ref('int_indicators__allocation_starts') }}
    where hulpvorm = 'screening'
        and norm_outcome is not null
)

{{ indicator_rollup(
    'facts', 'screening_within_4w', 'percent',
    numerator="sum(case when norm_outcome = 'within' then 1 else 0 end)",
    denominator="sum(case when norm_outcome in ('within', 'late') then 1 else 0 end)",
    value='percent',
    n_clients="count(distinct case when norm_outcome in ('within', 'late') then client_key end)",
    provisional="norm_outcome = 'pending'",
    proxy="start_of_care_basis = 'proxy'"
) }}
