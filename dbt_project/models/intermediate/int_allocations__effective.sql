-- DEFINITIONS §2: the effective version of each allocation (gemeentecode, toewijzingnummer) is
-- its latest version: highest dagtekening; a version without dagtekening ranks below dated ones
-- and among themselves by later file, then later row. A latest version whose einddatum is
-- before its ingangsdatum withdraws the allocation: it is removed.
-- DEFINITIONS §3: product attributes from the catalogue (productcode, else the category's
-- first row), and the region and segment of the allocation's gemeente.
with versions as (
    select * from {{ ref('stg_raw__allocations') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by gemeentecode, toewijzingnummer
            order by {{ nulls_last_key('dagtekening') }}, dagtekening desc, source_file_seq desc, source_row desc
        ) as version_rank,
        count(*) over (partition by gemeentecode, toewijzingnummer) as n_versions
    from versions
),

latest as (
    select * from ranked
    where version_rank = 1
        and (einddatum is null or einddatum >= ingangsdatum)
),

catalogue as (
    select * from {{ ref('product_catalogue') }}
),

category_default as (
    select *
    from (
        select
            *,
            row_number() over (partition by productcategorie order by productcode) as rn
        from catalogue
    ) as c
    where rn = 1
),

regions as (
    select * from {{ ref('regions') }}
),

joined as (
    select
        -- keys
        {{ dbt.hash(dbt.concat(['latest.gemeentecode', "'|'", 'latest.toewijzingnummer'])) }} as allocation_key,
        latest.toewijzingnummer,
        latest.gemeentecode,
        coalesce(regions.regio, 'onbekend') as regio,
        latest.aanbieder_agb,
        latest.client_key,
        -- product
        latest.productcategorie,
        latest.productcode,
        coalesce(exact.productcode, dflt.productcode) as catalogue_productcode,
        coalesce(exact.hulpvorm, dflt.hulpvorm) as hulpvorm,
        coalesce(exact.intensity, dflt.intensity) as intensity,
        coalesce(exact.zwaarte, dflt.zwaarte) as zwaarte,
        -- §3/§4: every category except 42, 47, 48, 49 counts as jeugdhulp
        coalesce(
            exact.counts_as_jeugdhulp,
            dflt.counts_as_jeugdhulp,
            latest.productcategorie not in ('42', '47', '48', '49')
        ) as counts_as_jeugdhulp,
        coalesce(exact.is_verblijf, dflt.is_verblijf, false) as is_verblijf,
        coalesce(exact.is_wonen, dflt.is_wonen, false) as is_wonen,
        coalesce(exact.is_ambulant_alternatief, dflt.is_ambulant_alternatief, false) as is_ambulant_alternatief,
        coalesce(exact.is_maatwerk, dflt.is_maatwerk, false) as is_maatwerk,
        coalesce(exact.is_duurzaam, dflt.is_duurzaam, false) as is_duurzaam,
        coalesce(exact.is_ggz, dflt.is_ggz, false) as is_ggz,
        case coalesce(regions.regio, 'onbekend')
            when 'Twente' then coalesce(exact.segment_twente, dflt.segment_twente)
            when 'Noord-Limburg' then coalesce(exact.segment_noord_limburg, dflt.segment_noord_limburg)
            when 'Lekstroom' then coalesce(exact.segment_lekstroom, dflt.segment_lekstroom)
        end as segment,
        -- dates
        latest.ingangsdatum,
        latest.einddatum,
        latest.toewijzingsdatum,
        latest.dagtekening,
        -- measures and attributes
        latest.volume,
        latest.eenheid,
        latest.frequentie,
        latest.reden_wijziging,
        latest.verwijzer_type,
        latest.referentie_aanbieder,
        latest.reden_beeindiging,
        latest.age_band,
        cast(latest.n_versions as {{ dbt.type_int() }}) as n_versions
    from latest
    left join catalogue as exact
        on latest.productcode = exact.productcode
            and latest.productcategorie = exact.productcategorie
    left join category_default as dflt
        on latest.productcategorie = dflt.productcategorie
    left join regions
        on latest.gemeentecode = regions.gemeentecode
)

select * from joined
