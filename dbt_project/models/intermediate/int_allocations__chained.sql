-- DEFINITIONS §4: each effective jeugdhulp allocation with the number of the client's
-- trajectory it belongs to. The rule itself lives in macros/trajectories.sql.
with jeugdhulp as (
    select
        allocation_key,
        client_key,
        gemeentecode,
        toewijzingnummer,
        ingangsdatum,
        einddatum
    from {{ ref('int_allocations__effective') }}
    where counts_as_jeugdhulp
),

chained as (
    {{ chain_allocations('jeugdhulp', ['client_key']) }}
)

select * from chained
