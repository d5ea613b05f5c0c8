{#-
  DEFINITIONS §4 — the six-month rule, written once.

  Every trajectory in this project (client trajectories and segment trajectories) is built by
  these macros; nothing else decides where a trajectory starts or ends.
-#}

{#- The first day on which an allocation starting would begin a new trajectory, given the last
    covered day: (covered_until + 1 day) + gap calendar months, clamped to the month's end
    (2022-08-31 + 6 months = 2023-02-28), as SQL interval arithmetic does. The date arithmetic is
    in macros/portability.sql (DuckDB and Spark differ). -#}
{% macro gap_threshold(covered_until_expr) -%}
    {{ date_add_months(date_add_days(covered_until_expr, 1), var('trajectory_gap_months')) }}
{%- endmacro %}

{#- §4 steps 1–3 over a relation with one row per effective allocation.
    `partition_by` is the list of columns that identify one chain (client, or client + segment).
    Returns every input column plus `trajectory_seq` (1, 2, … per partition in time order),
    `is_trajectory_start`, and `allocation_order` (position in the §4 ordering). -#}
{% macro chain_allocations(relation, partition_by) -%}
    {%- set part = partition_by | join(', ') -%}
    {#- open-ended (einddatum empty) after dated ones on the same start day; an integer key, not a
        boolean or NULLS LAST, so every engine sorts alike -#}
    {%- set ordering = 'ingangsdatum, ' ~ nulls_last_key('einddatum') ~ ', einddatum, toewijzingnummer, gemeentecode' -%}
    with ordered as (
        select
            *,
            row_number() over (partition by {{ part }} order by {{ ordering }}) as allocation_order,
            -- covered_until before this allocation: the latest end seen so far (open = infinity)
            max(einddatum) over (
                partition by {{ part }} order by {{ ordering }}
                rows between unbounded preceding and 1 preceding
            ) as previous_covered_until,
            max(case when einddatum is null then 1 else 0 end) over (
                partition by {{ part }} order by {{ ordering }}
                rows between unbounded preceding and 1 preceding
            ) as previous_open_ended
        from {{ relation }}
    ),

    flagged as (
        select
            *,
            case
                when allocation_order = 1 then true
                when previous_open_ended = 1 then false
                when ingangsdatum >= {{ gap_threshold('previous_covered_until') }} then true
                else false
            end as is_trajectory_start
        from ordered
    )

    select
        *,
        cast(sum(case when is_trajectory_start then 1 else 0 end) over (
            partition by {{ part }} order by allocation_order
            rows between unbounded preceding and current row
        ) as {{ dbt.type_int() }}) as trajectory_seq
    from flagged
{%- endmacro %}

{#- §4 status as of the peildatum. -#}
{% macro trajectory_status(end_date) -%}
    case
        when {{ end_date }} is null or {{ end_date }} >= {{ peildatum() }} then 'ongoing'
        when {{ gap_threshold(end_date) }} <= {{ peildatum() }} then 'closed'
        else 'ended'
    end
{%- endmacro %}

{#- §4 trajectory summary over chained allocations: one row per (partition, trajectory_seq)
    with start/end, n_allocations, the first allocation's gemeente, and the re-entry fields.
    `id_columns` are hashed with the start date into the stable trajectory id. -#}
{% macro summarise_trajectories(chained_relation, partition_by) -%}
    {%- set part = partition_by | join(', ') -%}
    with per_trajectory as (
        select
            {{ part }},
            trajectory_seq,
            min(ingangsdatum) as start_date,
            case when max(case when einddatum is null then 1 else 0 end) = 1 then null
                else max(einddatum) end as end_date,
            cast(count(*) as {{ dbt.type_int() }}) as n_allocations,
            max(case when is_trajectory_start then gemeentecode end) as gemeentecode
        from {{ chained_relation }}
        group by {{ part }}, trajectory_seq
    ),

    with_ids as (
        select
            *,
            {{ dbt.hash(dbt.concat(partition_by + ["'|'", 'cast(start_date as ' ~ dbt.type_string() ~ ')'])) }} as trajectory_id
        from per_trajectory
    ),

    with_previous as (
        select
            *,
            lag(trajectory_id) over (partition by {{ part }} order by trajectory_seq) as previous_trajectory_id,
            lag(end_date) over (partition by {{ part }} order by trajectory_seq) as previous_end_date
        from with_ids
    )

    select
        trajectory_id,
        {{ part }},
        trajectory_seq,
        gemeentecode,
        start_date,
        end_date,
        {{ trajectory_status('end_date') }} as status,
        case
            when {{ trajectory_status('end_date') }} = 'ongoing' then null
            else cast({{ days_between('start_date', 'end_date') }} + 1 as {{ dbt.type_int() }})
        end as duration_days,
        n_allocations,
        trajectory_seq > 1 as is_reentry,
        case
            when trajectory_seq > 1
                then cast({{ days_between('previous_end_date', 'start_date') }} - 1 as {{ dbt.type_int() }})
        end as gap_days,
        previous_trajectory_id
    from with_previous
{%- endmacro %}
