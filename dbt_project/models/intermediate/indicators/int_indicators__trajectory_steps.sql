-- DEFINITIONS §5 escalation and §6 scale_up_down / same_or_heavier / reindication: the steps of a
-- client trajectory. A step is a start date within the trajectory; its rank is the highest
-- heaviness rank (zwaarte) of the allocations starting that day, so allocations that start
-- together form one package, not a transition.
--   is_scale_up / is_scale_down   rank above / below the previous step's
--   is_escalation                 rank above every earlier step's (§5)
--   is_same_or_heavier            a later step of at least the highest earlier rank
--   is_not_heavier_than_first     rank at most the first step's
-- A continuation (§5: same client, aanbieder and product, within continuation_gap_days of the
-- earlier one's end) extends the care already there: it is no step, so no transition,
-- re-indication or escalation.
with allocations as (
    select * from {{ ref('int_indicators__allocations') }}
    where trajectory_id is not null
        and not coalesce(is_continuation, false)
),

steps as (
    select
        trajectory_id,
        ingangsdatum as step_date,
        max(zwaarte) as step_rank,
        cast(count(*) as integer) as n_allocations
    from allocations
    group by trajectory_id, ingangsdatum
),

ordered as (
    select
        *,
        cast(row_number() over (partition by trajectory_id order by step_date) as integer) as step_no,
        lag(step_rank) over (partition by trajectory_id order by step_date) as previous_step_rank,
        max(step_rank) over (
            partition by trajectory_id order by step_date
            rows between unbounded preceding and 1 preceding
        ) as max_rank_before,
        first_value(step_rank) over (
            partition by trajectory_id order by step_date
            rows between unbounded preceding and current row
        ) as first_step_rank
    from steps
)

select
    trajectory_id,
    step_date,
    cast(extract(year from step_date) as integer) as step_year,
    step_no,
    step_rank,
    previous_step_rank,
    max_rank_before,
    first_step_rank,
    n_allocations,
    coalesce(step_no > 1 and step_rank > previous_step_rank, false) as is_scale_up,
    coalesce(step_no > 1 and step_rank < previous_step_rank, false) as is_scale_down,
    coalesce(step_no > 1 and step_rank > max_rank_before, false) as is_escalation,
    coalesce(step_no > 1 and step_rank >= max_rank_before, false) as is_same_or_heavier,
    coalesce(step_rank <= first_step_rank, false) as is_not_heavier_than_first
from ordered
