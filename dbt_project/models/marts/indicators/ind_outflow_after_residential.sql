-- DEFINITIONS §6 outflow_after_residential: of residential stays (verblijf not wonen, six-month
-- rule) that ended in the year,
--   outflow_after_residential_wonen  % with a wonen allocation active within six months after
--   outflow_after_residential_home   % with no jeugdhulp allocation active within six months
-- (the rest went on to other care). A stay still `ended` (its six months not over) is provisional.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select
        *,
        cast(extract(year from end_date) as integer) as period_year
    from {{ ref('int_indicators__residential_stays') }}
    where status in ('ended', 'closed')
)

{{ indicator_rollup(
    'facts', 'outflow_after_residential_wonen', 'percent',
    numerator='count(distinct case when followed_by_wonen then stay_id end)',
    denominator='count(distinct stay_id)',
    value='percent',
    provisional="status = 'ended'",
    levels=('regio', 'gemeente')
) }}
union all
{{ indicator_rollup(
    'facts', 'outflow_after_residential_home', 'percent',
    numerator='count(distinct case when followed_by_home then stay_id end)',
    denominator='count(distinct stay_id)',
    value='percent',
    provisional="status = 'ended'",
    levels=('regio', 'gemeente')
) }}
