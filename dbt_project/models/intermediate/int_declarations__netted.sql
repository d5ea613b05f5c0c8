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
-- DEFINITIONS §2.1/§5: a line whose latest answer (JW325) rejects it stays here, marked
-- `is_rejected`, with every measure 0: it counts in no cost, hours, care days or start of care,
-- in every consumer of this view alike. A line without an answer is not rejected.
with lines as (
    select * from {{ ref('stg_raw__declarations') }}
),

responses as (
    select
        declaratienummer,
        is_rejected
    from {{ ref('stg_raw__declaration_responses') }}
),

units as (
    select * from {{ ref('units') }}
),

signed as (
    select
        -- 1 for a debit, −1 for a credit, 0 for a rejected line
        case
            when coalesce(responses.is_rejected, false) then 0
            when lines.debet_credit = 'C' then -1
            else 1
        end as line_sign,
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
        -- measures (§2: the sign comes from debet_credit; §2.1: a rejected line counts 0)
        lines.debet_credit,
        coalesce(responses.is_rejected, false) as is_rejected,
        lines.eenheid,
        lines.bedrag,
        lines.geleverd_volume,
        coalesce(units.minutes_per_unit, 0) as minutes_per_unit,
        coalesce(units.is_care_day, false) as is_care_day
    from lines
    left join units
        on lines.eenheid = units.eenheid
    left join responses
        on lines.declaratienummer = responses.declaratienummer
)

select
    -- keys
    declaratienummer,
    vorig_declaratienummer,
    gemeentecode,
    toewijzingnummer,
    client_id,
    aanbieder_agb,
    productcategorie,
    productcode,
    -- dates
    begindatum,
    einddatum,
    period_month,
    period_year,
    -- measures
    debet_credit,
    is_rejected,
    eenheid,
    line_sign * bedrag as net_amount_cents,
    line_sign * geleverd_volume as net_volume,
    line_sign * geleverd_volume * minutes_per_unit as net_minutes,
    case when is_care_day then line_sign * geleverd_volume else 0 end as net_care_days
from signed
