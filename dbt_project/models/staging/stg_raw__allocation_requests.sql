-- DEFINITIONS §2.1 allocation_requests (iJw JW315): the provider's request for an allocation,
-- one row per request (gemeentecode, aanbieder_agb, referentie_aanbieder): the key an
-- allocation answering it names. A request sent again under the same reference: the latest
-- message wins (macro latest_message_rank; docs/DECISIONS.md).
with source as (
    select * from {{ source('raw', 'allocation_requests') }}
),

ranked as (
    select
        *,
        {{ latest_message_rank('gemeentecode, aanbieder_agb, referentie_aanbieder') }} as message_rank
    from source
)

select
    -- keys
    gemeentecode,
    aanbieder_agb,
    referentie_aanbieder,
    client_id,
    -- product
    productcategorie,
    nullif(productcode, '') as productcode,
    -- dates
    ingangsdatum,
    dagtekening,
    -- attributes
    nullif(verwijzer_type, '') as verwijzer_type,
    -- lineage
    _file_seq as source_file_seq,
    _source_row as source_row
from ranked
where message_rank = 1
