-- A view: its one consumer (fct_segment_trajectories) runs it once; as a table every allocation
-- row per dimension was written and read back (≈ 40 s of a national build).
{{ config(materialized='view') }}

-- DEFINITIONS §4, last paragraph: the same rule applied to the allocations of one hulpvorm, or
-- of one segment of the gemeente's region, only ("segment trajectories").
with jeugdhulp as (
    select * from {{ ref('int_allocations__effective') }}
    where counts_as_jeugdhulp
),

per_dimension as (
    select
        allocation_key,
        client_key,
        'hulpvorm' as dimension,
        hulpvorm as dimension_value,
        gemeentecode,
        toewijzingnummer,
        ingangsdatum,
        einddatum
    from jeugdhulp
    where hulpvorm is not null
    union all
    select
        allocation_key,
        client_key,
        'segment' as dimension,
        segment as dimension_value,
        gemeentecode,
        toewijzingnummer,
        ingangsdatum,
        einddatum
    from jeugdhulp
    where segment is not null
),

chained as (
    {{ chain_allocations('per_dimension', ['client_key', 'dimension', 'dimension_value']) }}
)

select * from chained
