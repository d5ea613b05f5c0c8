-- One row per delivered allocation version (DEFINITIONS §2). The BSN stops here: only the
-- keyed client_key goes on; the birth date becomes an age band at the start of the allocation.
-- A legacy 2015 productcategorie (31–38) is read as its successor (macro
-- read_current_productcategorie, REFERENCE_DATA); raw keeps the delivered code.
with source as (
    select * from {{ source('raw', 'allocations') }}
),

renamed as (
    select
        -- keys
        gemeentecode,
        toewijzingnummer,
        client_key,
        client_id,
        aanbieder_agb,
        -- product
        productcategorie as delivered_productcategorie,
        nullif(productcode, '') as productcode,
        -- dates
        ingangsdatum,
        einddatum,
        coalesce(toewijzingsdatum, ingangsdatum) as toewijzingsdatum,
        dagtekening,
        -- measures
        volume,
        nullif(eenheid, '') as eenheid,
        nullif(frequentie, '') as frequentie,
        -- attributes
        nullif(reden_wijziging, '') as reden_wijziging,
        nullif(verwijzer_type, '') as verwijzer_type,
        nullif(referentie_aanbieder, '') as referentie_aanbieder,
        nullif(reden_beeindiging, '') as reden_beeindiging,
        {{ age_band('geboortedatum', 'ingangsdatum') }} as age_band,
        -- lineage
        _file_seq as source_file_seq,
        _source_row as source_row
    from source
),

mapped as (
    {{ read_current_productcategorie('renamed') }}
)

select * from mapped
