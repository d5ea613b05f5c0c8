-- DEFINITIONS §4: one row per client trajectory (with its sequence number), from the chained
-- allocations. The published fct_trajectories and fct_allocations both read this.
with chained as (
    select * from {{ ref('int_allocations__chained') }}
),

summarised as (
    {{ summarise_trajectories('chained', ['client_key']) }}
)

select * from summarised
