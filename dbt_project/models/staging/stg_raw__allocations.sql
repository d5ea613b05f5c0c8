-- One row per delivered allocation version (DEFINITIONS §2). The BSN stops here: only the
-- keyed client_key goes on; the birth date becomes an age band at the start of the allocation.
-- A legacy 2015 productcategorie (31–38) is read as its successor (seed ijw_productcategorie_2015,
-- REFERENCE_DATA); raw keeps the delivered code.
with source as (
    select * from {{ source('raw', 'allocations') }}
),

legacy_categories as (
    select * from {{ ref('ijw_productcategorie_2015') }}
),

renamed as (
    select
        -- keys
        source.gemeentecode,
        source.toewijzingnummer,
        source.client_key,
        source.client_id,
        source.aanbieder_agb,
        -- product
        coalesce(
            legacy_categories.successor_productcategorie, source.productcategorie
        ) as productcategorie,
        nullif(source.productcode, '') as productcode,
        -- dates
        source.ingangsdatum,
        source.einddatum,
        coalesce(source.toewijzingsdatum, source.ingangsdatum) as toewijzingsdatum,
        source.dagtekening,
        -- measures
        source.volume,
        nullif(source.eenheid, '') as eenheid,
        nullif(source.frequentie, '') as frequentie,
        -- attributes
        nullif(source.reden_wijziging, '') as reden_wijziging,
        nullif(source.verwijzer_type, '') as verwijzer_type,
        nullif(source.reden_beeindiging, '') as reden_beeindiging,
        {{ age_band('source.geboortedatum', 'source.ingangsdatum') }} as age_band,
        -- lineage
        source._file_seq as source_file_seq,
        source._source_row as source_row
    from source
    left join legacy_categories
        on source.productcategorie = legacy_categories.productcategorie
)

select * from renamed
