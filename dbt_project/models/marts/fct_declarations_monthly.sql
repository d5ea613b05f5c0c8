-- DEFINITIONS §5: net declared amount, volume, hours and care days per allocation, provider and
-- calendar month (of the declaration's begindatum). Credits are netted (§2).
with netted as (
    select * from {{ ref('int_declarations__netted') }}
)

select
    -- keys
    allocation_key,
    gemeentecode,
    toewijzingnummer,
    aanbieder_agb,
    client_key,
    productcategorie,
    productcode,
    -- dates
    period_year,
    period_month,
    -- measures
    cast(sum(net_amount_cents) as {{ dbt.type_bigint() }}) as net_amount_cents,
    sum(net_volume) as net_volume,
    sum(net_hours) as net_hours,
    sum(net_care_days) as net_care_days,
    cast(count(*) as {{ dbt.type_int() }}) as n_lines,
    min(case when debet_credit = 'D' then begindatum end) as first_debit_begindatum
from netted
group by
    allocation_key, gemeentecode, toewijzingnummer, aanbieder_agb, client_key,
    productcategorie, productcode, period_year, period_month
