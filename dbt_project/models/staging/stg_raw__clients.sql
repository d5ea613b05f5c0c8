-- One row per client: client_id → client_key (DEFINITIONS §7; no BSN). Models that group
-- tens of millions of declaration lines group by the integer client_id and look the key up
-- here afterwards.
with source as (
    select * from {{ source('raw', 'clients') }}
)

select
    client_id,
    client_key
from source
