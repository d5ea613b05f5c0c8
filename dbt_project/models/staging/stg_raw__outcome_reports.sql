-- DEFINITIONS §2.1 outcome_reports: the provider's report on whether the goals of an ended
-- allocation were achieved (doelrealisatie), one row per allocation (gemeentecode,
-- toewijzingnummer): the latest rapportagedatum wins (undated below dated, then the later file,
-- then the later row: macro latest_message_rank).
with source as (
    select * from {{ source('raw', 'outcome_reports') }}
),

ranked as (
    select
        *,
        {{ latest_message_rank('gemeentecode, toewijzingnummer', 'rapportagedatum') }} as report_rank
    from source
)

select
    -- keys
    gemeentecode,
    toewijzingnummer,
    client_id,
    aanbieder_agb,
    -- dates
    einddatum,
    rapportagedatum,
    -- attributes
    lower(trim(doelen_behaald)) as doelen_behaald,
    -- lineage
    _file_seq as source_file_seq,
    _source_row as source_row
from ranked
where report_rank = 1
