-- A view, not a table: every declaration line once more, signed, would be the largest table of
-- the build (≈ 60M rows nationally); its three consumers aggregate it right away, and DuckDB
-- reads only the columns each of them needs.
{{ config(materialized='view') }}

-- DEFINITIONS §2 and §5: a credit line negates its amount and volume; net values are the sum of
-- signed lines. Lines are attributed to the calendar month of their begindatum. Time is carried
-- in minutes (volume × the unit's whole minutes; iJw volumes are whole numbers), so every sum of
-- it is exact and the same in any order; hours are minutes / 60, divided once after summing
-- (macro minutes_to_hours). Care days count etmaal units and are never converted to hours.
-- A line names its allocation by (gemeentecode, toewijzingnummer); the consumers aggregate
-- first and join the allocation (and the client_key of client_id, stg_raw__clients) afterwards,
-- so tens of millions of lines are never joined or grouped on the long keys.
with lines as (
    select * from {{ ref('stg_raw__declarations') }}
),

units as (
    select * from {{ ref('units') }}
),

signed as (
    select
        -- keys
        lines.declaratienummer,
        lines.vorig_declaratienummer,
        lines.gemeentecode,
        lines.toewijzingnummer,
        lines.client_id,
        lines.aanbieder_agb,
        lines.productcategorie,
        lines.productcode,
        -- dates
        lines.begindatum,
        lines.einddatum,
        cast({{ dbt.date_trunc('month', 'lines.begindatum') }} as date) as period_month,
        cast(extract(year from lines.begindatum) as {{ dbt.type_int() }}) as period_year,
        -- measures (§2: the sign comes from debet_credit)
        lines.debet_credit,
        lines.eenheid,
        case when lines.debet_credit = 'C' then -1 else 1 end * lines.bedrag as net_amount_cents,
        case when lines.debet_credit = 'C' then -1 else 1 end * lines.geleverd_volume as net_volume,
        case when lines.debet_credit = 'C' then -1 else 1 end * lines.geleverd_volume
        * coalesce(units.minutes_per_unit, 0) as net_minutes,
        case
            when coalesce(units.is_care_day, false)
                then case when lines.debet_credit = 'C' then -1 else 1 end * lines.geleverd_volume
            else 0
        end as net_care_days
    from lines
    left join units
        on lines.eenheid = units.eenheid
)

select * from signed
