-- One row per delivered declaration line (DEFINITIONS §2), BSN replaced by client_id: the line's
-- client_key is in stg_raw__clients, looked up by the models after they aggregate.
-- A legacy 2015 productcategorie (31–38) is read as its successor (macro
-- read_current_productcategorie, REFERENCE_DATA); raw keeps the delivered code.
with source as (
    select * from {{ source('raw', 'declarations') }}
),

renamed as (
    select
        -- keys
        declaratienummer,
        nullif(vorig_declaratienummer, '') as vorig_declaratienummer,
        gemeentecode,
        toewijzingnummer,
        client_id,
        aanbieder_agb,
        -- product
        productcategorie as delivered_productcategorie,
        nullif(productcode, '') as productcode,
        -- dates
        begindatum,
        einddatum,
        -- measures
        debet_credit,
        cast(geleverd_volume as double) as geleverd_volume,
        eenheid,
        cast(bedrag as {{ dbt.type_bigint() }}) as bedrag
    from source
),

mapped as (
    {{ read_current_productcategorie('renamed') }}
)

select * from mapped
