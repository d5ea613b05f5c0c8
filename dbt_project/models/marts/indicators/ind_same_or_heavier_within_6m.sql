-- DEFINITIONS §6 same_or_heavier_within_6m: of distinct clients with a trajectory that ended in the
-- year, the % whose trajectory has a later step of the same or a heavier rank than every earlier
-- step. A new allocation within six months after an end belongs to the same trajectory (§4), so
-- "during or within 6 months after" is the trajectory itself; it is final once the trajectory is
-- closed.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__trajectory_ends') }}
)

{{ indicator_rollup(
    'facts', 'same_or_heavier_within_6m', 'percent',
    numerator='count(distinct case when has_same_or_heavier then client_key end)',
    denominator='count(distinct client_key)',
    value='percent',
    provisional='is_provisional',
    levels=('regio', 'gemeente')
) }}
