-- One row per delivered allocation version (DEFINITIONS §2). The BSN stops here: only the
-- keyed client_key goes on; the birth date becomes an age band at the start of the allocation.
with source as (
    select * from {{ source('raw', 'allocations') }}
),

renamed as (
    select
        -- keys
        gemeentecode,
        toewijzingnummer,
        client_key,
        aanbieder_agb,
        -- product
        productcategorie,
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
        nullif(reden_beeindiging, '') as reden_beeindiging,
        case
            when geboortedatum is null then 'onbekend'
            when {{ dbt.datediff('geboortedatum', 'ingangsdatum', 'year') }} < 4 then '0-3'
            when {{ dbt.datediff('geboortedatum', 'ingangsdatum', 'year') }} < 12 then '4-11'
            when {{ dbt.datediff('geboortedatum', 'ingangsdatum', 'year') }} < 18 then '12-17'
            else '18+'
        end as age_band,
        -- lineage
        _file_seq as source_file_seq,
        _source_row as source_row
    from source
)

select * from renamed
