-- DEFINITIONS §6 top5_provider_share: the share (%) of net cost going to the five aanbieders with
-- the largest net cost, per regio and year: per product (segment column = catalogue productcode)
-- and over all products (segment ''). Ties at the fifth place go to the lower AGB code.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__declaration_amounts') }}
),

provider_amounts as (
    select
        period_year,
        regio,
        product as segment,
        aanbieder_agb,
        sum(net_amount_cents) as amount_cents
    from facts
    group by period_year, regio, product, aanbieder_agb
    union all
    select
        period_year,
        regio,
        '' as segment,
        aanbieder_agb,
        sum(net_amount_cents) as amount_cents
    from facts
    group by period_year, regio, aanbieder_agb
),

ranked as (
    select
        *,
        row_number() over (
            partition by period_year, regio, segment
            order by amount_cents desc, aanbieder_agb asc
        ) as provider_rank
    from provider_amounts
),

cells as (
    select
        period_year,
        regio,
        segment,
        sum(case when provider_rank <= 5 then amount_cents else 0 end) / 100.0 as top5_amount,
        sum(amount_cents) / 100.0 as total_amount
    from ranked
    group by period_year, regio, segment
),

clients as (
    select
        period_year,
        regio,
        product as segment,
        count(distinct case when net_amount_cents > 0 then client_id end) as n_clients
    from facts
    group by period_year, regio, product
    union all
    select
        period_year,
        regio,
        '' as segment,
        count(distinct case when net_amount_cents > 0 then client_id end) as n_clients
    from facts
    group by period_year, regio
)

select
    cast('top5_provider_share' as {{ dbt.type_string() }}) as indicator_code,
    cast(cells.period_year as integer) as period_year,
    cast(cells.regio as {{ dbt.type_string() }}) as regio,
    cast('' as {{ dbt.type_string() }}) as gemeentecode,
    cast(cells.segment as {{ dbt.type_string() }}) as segment,
    cast('' as {{ dbt.type_string() }}) as aanbieder_agb,
    cast(round(cast(cells.top5_amount as {{ dbt.type_numeric() }}), 4) as {{ dbt.type_numeric() }}) as numerator,
    cast(round(cast(cells.total_amount as {{ dbt.type_numeric() }}), 4) as {{ dbt.type_numeric() }}) as denominator,
    cast({{ indicator_value('percent', 'cells.top5_amount', 'cells.total_amount') }} as {{ dbt.type_numeric() }})
        as value,
    cast('percent' as {{ dbt.type_string() }}) as unit,
    false as has_provisional,
    cast(clients.n_clients as integer) as n_clients,
    cast(null as integer) as n_members,
    cast(null as integer) as n_known,
    false as has_proxy
from cells
inner join clients
    on cells.period_year = clients.period_year
        and cells.regio = clients.regio
        and cells.segment = clients.segment
