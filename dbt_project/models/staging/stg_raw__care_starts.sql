-- DEFINITIONS §2.1 care_starts (iJw JW305): the start of care of each allocation, one row per
-- allocation (gemeentecode, toewijzingnummer). The latest message wins (highest dagtekening;
-- undated below dated, then the later file, then the later row: macro latest_message_rank). A
-- latest message with status_aanlevering 3 withdraws the start: the allocation then has none.
-- status_aanlevering is optional in CSV and then means 1 (delivers or corrects).
with source as (
    select * from {{ source('raw', 'care_starts') }}
),

ranked as (
    select
        *,
        {{ latest_message_rank('gemeentecode, toewijzingnummer') }} as message_rank,
        count(*) over (partition by gemeentecode, toewijzingnummer) as n_messages
    from source
)

select
    -- keys
    gemeentecode,
    toewijzingnummer,
    client_id,
    aanbieder_agb,
    -- product
    productcategorie,
    nullif(productcode, '') as productcode,
    -- dates
    begindatum,
    dagtekening,
    -- lineage
    cast(n_messages as {{ dbt.type_int() }}) as n_messages,
    _file_seq as source_file_seq,
    _source_row as source_row
from ranked
where message_rank = 1
    and coalesce(nullif(status_aanlevering, ''), '1') <> '3'
