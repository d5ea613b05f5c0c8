-- One row per delivered declaration line (DEFINITIONS §2), BSN replaced by client_id: the line's
-- client_key is in stg_raw__clients, looked up by the models after they aggregate.
-- A legacy 2015 productcategorie (31–38) is read as its successor (seed ijw_productcategorie_2015,
-- REFERENCE_DATA); raw keeps the delivered code.
with source as (
    select * from {{ source('raw', 'declarations') }}
),

legacy_categories as (
    select * from {{ ref('ijw_productcategorie_2015') }}
),

renamed as (
    select
        -- keys
        source.declaratienummer,
        nullif(source.vorig_declaratienummer, '') as vorig_declaratienummer,
        source.gemeentecode,
        source.toewijzingnummer,
        source.client_id,
        source.aanbieder_agb,
        -- product
        coalesce(
            legacy_categories.successor_productcategorie, source.productcategorie
        ) as productcategorie,
        nullif(source.productcode, '') as productcode,
        -- dates
        source.begindatum,
        source.einddatum,
        -- measures
        source.debet_credit,
        cast(source.geleverd_volume as double) as geleverd_volume,
        source.eenheid,
        cast(source.bedrag as {{ dbt.type_bigint() }}) as bedrag
    from source
    left join legacy_categories
        on source.productcategorie = legacy_categories.productcategorie
)

select * from renamed
