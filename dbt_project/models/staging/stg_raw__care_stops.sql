-- DEFINITIONS §2.1 care_stops (iJw JW307): the stop of care of each allocation, one row per
-- allocation (gemeentecode, toewijzingnummer), with the last day care was delivered and the
-- JZ588 reason. The latest message wins (macro latest_message_rank); a latest message with
-- status_aanlevering 3 withdraws the stop: the allocation then has none. status_aanlevering is
-- optional in CSV and then means 1 (delivers or corrects).
with source as (
    select * from {{ source('raw', 'care_stops') }}
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
    einddatum,
    dagtekening,
    -- attributes
    nullif(reden_beeindiging, '') as reden_beeindiging,
    -- lineage
    cast(n_messages as {{ dbt.type_int() }}) as n_messages,
    _file_seq as source_file_seq,
    _source_row as source_row
from ranked
where message_rank = 1
    and coalesce(nullif(status_aanlevering, ''), '1') <> '3'
