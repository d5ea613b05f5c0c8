-- Published contract (DEFINITIONS §6, §7): every indicator value per calendar year, regio,
-- gemeente, segment and aanbieder ('' = all), with its baseline, target, whether it meets the
-- target, whether it is final, small-cell suppression applied last, and (§7) its coverage and data
-- quality: an `insufficient` cell (coverage below var min_coverage) has no value, numerator,
-- denominator or target verdict; unknown is never published as "no".
-- The family models (one per §6 indicator) all produce the same long shape; the targets and the
-- suppression rule are in macros/indicators.sql (evaluate_indicator_cells).
{%- set families = [
    'ind_clients_residential',
    'ind_clients_ambulatory_alternatives',
    'ind_care_days_residential',
    'ind_residential_no_transfer',
    'ind_screening_within_4w',
    'ind_start_within_norm',
    'ind_recidive',
    'ind_cost_per_client_residential',
    'ind_avg_trajectory_days',
    'ind_clients_ambulatory',
    'ind_cost_ambulatory',
    'ind_outflow_after_residential',
    'ind_waiting_list',
    'ind_scale_up_down',
    'ind_beds_in_use',
    'ind_crisis_within_4w',
    'ind_no_new_care_12m',
    'ind_ended_according_to_plan',
    'ind_escalation_during_trajectory',
    'ind_same_or_heavier_within_6m',
    'ind_avg_hours_per_client',
    'ind_share_light_medium',
    'ind_share_maatwerk',
    'ind_share_duurzaam',
    'ind_return_within_2y',
    'ind_harmful_waiting_list',
    'ind_reindication_lighter',
    'ind_goals_achieved',
    'ind_spend_by_segment',
    'ind_clients_by_segment',
    'ind_price_per_client',
    'ind_top5_provider_share',
    'ind_budget_utilisation',
] %}
with unioned as (
    {%- for family in families %}
        select {{ indicator_cell_columns() | join(', ') }}
        from {{ ref(family) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

targets as (
    select * from {{ ref('indicator_targets') }}
),

evaluated as (
    {{ evaluate_indicator_cells('unioned', 'targets') }}
)

select
    -- keys
    cast(indicator_code as {{ dbt.type_string() }}) as indicator_code,
    cast(period_year as integer) as period_year,
    cast(regio as {{ dbt.type_string() }}) as regio,
    cast(gemeentecode as {{ dbt.type_string() }}) as gemeentecode,
    cast(segment as {{ dbt.type_string() }}) as segment,
    cast(aanbieder_agb as {{ dbt.type_string() }}) as aanbieder_agb,
    -- measures
    cast(numerator as {{ dbt.type_numeric() }}) as numerator,
    cast(denominator as {{ dbt.type_numeric() }}) as denominator,
    cast(value as {{ dbt.type_numeric() }}) as value,
    cast(unit as {{ dbt.type_string() }}) as unit,
    -- targets
    cast(baseline_value as {{ dbt.type_numeric() }}) as baseline_value,
    cast(target_value as {{ dbt.type_numeric() }}) as target_value,
    meets_target,
    -- flags
    is_final,
    suppressed,
    -- §7 coverage and data quality
    cast(coverage as {{ dbt.type_numeric() }}) as coverage,
    cast(data_quality as {{ dbt.type_string() }}) as data_quality
from evaluated
