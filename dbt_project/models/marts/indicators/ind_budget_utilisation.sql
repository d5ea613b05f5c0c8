-- DEFINITIONS §6 budget_utilisation: net cost of a regional segment in the year as % of its budget
-- ceiling (seed budgets). Segment '': the cost of all segments against the sum of the segments'
-- ceilings. Budgets are regional, so there are no gemeente or aanbieder rows; a regio or segment
-- without a budget for the year has no row.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__declaration_amounts') }}
),

budgets as (
    select
        regio,
        segment,
        cast(year as integer) as period_year,
        budget_eur
    from {{ ref('budgets') }}
),

budget_cells as (
    select
        regio,
        segment,
        period_year,
        sum(budget_eur) as budget_eur
    from budgets
    group by regio, segment, period_year
    union all
    select
        regio,
        '' as segment,
        period_year,
        sum(budget_eur) as budget_eur
    from budgets
    group by regio, period_year
),

cost as (
    {{ indicator_rollup(
        'facts', 'budget_utilisation', 'percent',
        numerator='sum(net_amount_cents) / 100.0',
        n_clients='count(distinct case when net_amount_cents > 0 then client_id end)',
        levels=('regio', 'segment')
    ) }}
)

select
    cost.indicator_code,
    cost.period_year,
    cost.regio,
    cost.gemeentecode,
    cost.segment,
    cost.aanbieder_agb,
    cost.numerator,
    cast(budget_cells.budget_eur as {{ dbt.type_numeric() }}) as denominator,
    cast({{ indicator_value('percent', 'cost.numerator', 'budget_cells.budget_eur') }} as {{ dbt.type_numeric() }})
        as value,
    cost.unit,
    cost.has_provisional,
    cost.n_clients,
    cost.n_members,
    cost.n_known,
    cost.has_proxy
from cost
inner join budget_cells
    on cost.regio = budget_cells.regio
        and cost.segment = budget_cells.segment
        and cost.period_year = budget_cells.period_year
