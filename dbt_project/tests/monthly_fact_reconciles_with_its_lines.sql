-- DEFINITIONS §5 and docs/INCREMENTAL.md: every month of the monthly fact accounts for exactly
-- the netted declaration lines of that month and their net amount, however the fact was built
-- (in full, or by recomputing only the months that changed). A month kept twice, lost, or not
-- recomputed after its lines changed returns a row here and stops the build before publishing.
-- In Dagster it is a check of fct_declarations_monthly (the test reads two models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_declarations_monthly'}}}) }}

with fact as (
    select
        period_month,
        sum(n_lines) as n_lines,
        sum(net_amount_cents) as net_amount_cents
    from {{ ref('fct_declarations_monthly') }}
    group by period_month
),

lines as (
    select
        period_month,
        n_lines,
        net_amount_cents
    from {{ ref('int_declarations__month_fingerprints') }}
)

select
    coalesce(fact.period_month, lines.period_month) as period_month,
    fact.n_lines as fact_lines,
    lines.n_lines as delivered_lines,
    fact.net_amount_cents as fact_net_amount_cents,
    lines.net_amount_cents as delivered_net_amount_cents
from fact
full outer join lines
    on fact.period_month = lines.period_month
where
    coalesce(fact.n_lines, -1) != coalesce(lines.n_lines, -1)
    or coalesce(fact.net_amount_cents, -1) != coalesce(lines.net_amount_cents, -1)
