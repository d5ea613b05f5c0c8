-- DEFINITIONS §2.1 declaration_responses (iJw JW325): the municipality's latest answer per
-- declaration line (declaratienummer; macro latest_message_rank). The line is rejected when
-- that answer carries any retourcode other than 0200 "geen opmerking" (macro
-- retourcodes_reject). A rejected line stays loaded; it counts in no cost, hours, care days or
-- start of care (int_declarations__netted).
with source as (
    select * from {{ source('raw', 'declaration_responses') }}
),

ranked as (
    select
        *,
        {{ latest_message_rank('declaratienummer') }} as message_rank
    from source
)

select
    -- keys
    declaratienummer,
    gemeentecode,
    aanbieder_agb,
    -- attributes
    trim(retourcodes) as retourcodes,
    {{ retourcodes_reject('retourcodes') }} as is_rejected,
    -- dates
    dagtekening,
    -- lineage
    _file_seq as source_file_seq,
    _source_row as source_row
from ranked
where message_rank = 1
