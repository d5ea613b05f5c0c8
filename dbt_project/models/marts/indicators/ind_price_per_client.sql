-- DEFINITIONS §6 price_per_client: net cost in euros / distinct clients with a positive net cost,
--   price_per_client          per regional segment (segment '' = all), also per gemeente/aanbieder
--   price_per_client_product  per product: the segment column holds the catalogue productcode
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__declaration_amounts') }}
),

product_facts as (
    select
        period_year,
        regio,
        gemeentecode,
        product as segment,
        aanbieder_agb,
        client_id,
        net_amount_cents
    from facts
)

{%- set clients = 'count(distinct case when net_amount_cents > 0 then client_id end)' %}
{%- set args = dict(numerator='sum(net_amount_cents) / 100.0', denominator=clients, value='ratio',
    n_clients=clients) %}

{{ indicator_rollup('facts', 'price_per_client', 'euro_per_client',
    levels=('regio', 'gemeente', 'segment', 'gemeente_segment', 'aanbieder', 'aanbieder_segment'), **args) }}
union all
{{ indicator_rollup('product_facts', 'price_per_client_product', 'euro_per_client',
    levels=('segment', 'aanbieder_segment'), **args) }}
