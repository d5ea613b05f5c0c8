-- The content of each calendar month of declaration lines as fct_declarations_monthly reads
-- them (macros/increments.sql): the number of netted lines and a fingerprint of every column the
-- mart aggregates or groups on, the client as its client_key (the publication outlives the
-- working database, and a new working database numbers client_id afresh).
-- Comparing it with the fingerprints the published mart was built from tells which months
-- changed; a change of units or product mapping changes the netted columns, so it counts too.
-- The lines' net amount per month lets a data test reconcile the fact with its input
-- (tests/monthly_fact_reconciles_with_its_lines.sql).
with netted as (
    select * from {{ ref('int_declarations__netted') }}
),

clients as (
    select * from {{ ref('stg_raw__clients') }}
)

select
    -- keys
    netted.period_month,
    -- measures
    cast(count(*) as {{ dbt.type_bigint() }}) as n_lines,
    cast(sum(netted.net_amount_cents) as {{ dbt.type_bigint() }}) as net_amount_cents,
    {{ content_fingerprint([
        'netted.gemeentecode', 'netted.toewijzingnummer', 'netted.aanbieder_agb',
        'clients.client_key', 'netted.productcategorie', 'netted.productcode',
        'netted.begindatum', 'netted.debet_credit', 'netted.is_rejected', 'netted.net_amount_cents',
        'netted.net_volume', 'netted.net_minutes', 'netted.net_care_days',
    ]) }} as fingerprint
from netted
inner join clients
    on netted.client_id = clients.client_id
group by netted.period_month
