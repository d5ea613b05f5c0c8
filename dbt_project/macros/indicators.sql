{#-
  DEFINITIONS §6 and §7 — logic shared by the indicator models, written once.

  - calendar helpers: year spine, month-end spine, first/last day of a year, "active in the year";
  - `is_final` for a year (the year is six months past: peildatum >= Dec 31 + 1 day + 6 months);
  - `indicator_rollup`: one family's facts → the common long shape, per regio, gemeente, segment,
    aanbieder ('' in a key column means "all");
  - target evaluation (baseline, target value, meets_target), small-cell suppression, coverage
    and data quality (§7), used by marts/indicators/fct_indicator_values.sql.

  Numbers are `dbt.type_numeric()` (exact decimals) rounded to 4 places, so results do not depend
  on floating-point summation order.
-#}

{#- ---------------------------------------------------------------- calendar -#}

{#- Calendar years 2015 (Jeugdwet) … 2114: join with a range condition to get the years needed. -#}
{% macro indicator_years() -%}
    select cast(generated_number + 2014 as integer) as period_year
    from ({{ dbt.generate_series(100) }}) as year_series
{%- endmacro %}

{#- Month ends 2015-01-31 … 2114-12-31. -#}
{% macro indicator_month_ends() -%}
    select
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 'generated_number', "cast('2015-01-01' as date)")) }} as date)
            as month_end
    from ({{ dbt.generate_series(1200) }}) as month_series
{%- endmacro %}

{% macro year_start(year_expr) -%}
    cast({{ dbt.dateadd('year', '(' ~ year_expr ~ ') - 2000', "cast('2000-01-01' as date)") }} as date)
{%- endmacro %}

{% macro year_end(year_expr) -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('year', '(' ~ year_expr ~ ') - 1999', "cast('2000-01-01' as date)")) }} as date)
{%- endmacro %}

{#- §6: "active in the year" = the period [start, end] (end empty = open) overlaps the calendar year. -#}
{% macro active_in_year(start_date, end_date, year_expr) -%}
    (extract(year from {{ start_date }}) <= {{ year_expr }}
        and ({{ end_date }} is null or extract(year from {{ end_date }}) >= {{ year_expr }}))
{%- endmacro %}

{#- A year's values are final once the peildatum is six months (the trajectory gap) past its end:
    peildatum >= Dec 31 + 1 day + 6 months, the same boundary as a trajectory's `closed` (§4). -#}
{% macro year_is_final(year_expr) -%}
    ({{ gap_threshold(year_end(year_expr)) }} <= {{ peildatum() }})
{%- endmacro %}

{#- ------------------------------------------------------------------ values -#}

{#- value from numerator and denominator:
    count → the numerator; percent → 100 × n / d; ratio → n / d (empty when d is 0 or empty). -#}
{% macro indicator_value(kind, numerator, denominator) -%}
    {%- set n = 'cast(' ~ numerator ~ ' as ' ~ dbt.type_numeric() ~ ')' -%}
    {%- set d = 'cast(' ~ denominator ~ ' as ' ~ dbt.type_numeric() ~ ')' -%}
    {%- if kind == 'count' -%}
        round({{ n }}, 4)
    {%- elif kind == 'percent' -%}
        round(100 * {{ n }} / nullif({{ d }}, 0), 4)
    {%- elif kind == 'ratio' -%}
        round({{ n }} / nullif({{ d }}, 0), 4)
    {%- else -%}
        {{ exceptions.raise_compiler_error("indicator_value: unknown kind " ~ kind) }}
    {%- endif -%}
{%- endmacro %}

{#- Aggregation levels of §6. Every level is per period_year and regio; the listed columns are
    added. A key column outside the level is '' ("all"). -#}
{% macro indicator_level_columns() -%}
    {{ return({
        'regio': [],
        'gemeente': ['gemeentecode'],
        'segment': ['segment'],
        'aanbieder': ['aanbieder_agb'],
        'gemeente_segment': ['gemeentecode', 'segment'],
        'aanbieder_segment': ['aanbieder_agb', 'segment'],
    }) }}
{%- endmacro %}

{#- The columns of the common long shape, in order: every family model's output and
    fct_indicator_values' input. -#}
{% macro indicator_cell_columns() -%}
    {{ return(['indicator_code', 'period_year', 'regio', 'gemeentecode', 'segment', 'aanbieder_agb',
        'numerator', 'denominator', 'value', 'unit', 'has_provisional', 'n_clients',
        'n_members', 'n_known', 'has_proxy']) }}
{%- endmacro %}

{#- One indicator from a relation (or CTE) of facts, in the common long shape:
      indicator_code, period_year, regio, gemeentecode, segment, aanbieder_agb,
      numerator, denominator, value, unit, has_provisional, n_clients, n_members, n_known,
      has_proxy.
    One `group by` per level, unioned (plain group-bys rather than grouping sets: portable and
    readable by sqlfluff). `facts` needs period_year, regio and the key columns of the requested
    levels (never empty: the fact models fill unknowns with 'onbekend'), plus whatever the
    expressions use. A client-level count counts each client once per cell, so a client with
    allocations in two gemeenten counts once in each gemeente and once in the regio (§6).
    `n_clients` is the number of distinct clients behind the cell (for suppression, §7); by
    default the distinct values of `client`, the facts' client column (`client_key`, or the
    integer `client_id` of the client-year and declaration facts).
    `provisional` is a row-level condition: a cell with any such row is not final.
    §7 coverage, for an indicator whose population needs a fact that may be unknown (reason for
    ending, referrer, outcome report): `members` counts the cell's population, `known` those of
    it whose fact is known (the numerator and denominator count only these); both empty for an
    indicator that needs no such fact. `proxy` is a row-level condition: a cell with any such row
    rests on proxy facts (§5: a start of care taken from declarations). -#}
{% macro indicator_rollup(
    facts,
    indicator_code,
    unit,
    numerator,
    denominator=none,
    value='count',
    n_clients=none,
    client='client_key',
    provisional='false',
    levels=('regio', 'gemeente', 'aanbieder'),
    members=none,
    known=none,
    proxy='false'
) -%}
    {%- set level_columns = indicator_level_columns() -%}
    {%- set num = dbt.type_numeric() -%}
    {%- set text = dbt.type_string() -%}
    select
        indicator_code,
        period_year,
        regio,
        gemeentecode,
        segment,
        aanbieder_agb,
        numerator,
        denominator,
        cast({{ indicator_value(value, 'numerator', 'denominator') }} as {{ num }}) as value,
        unit,
        has_provisional,
        n_clients,
        n_members,
        n_known,
        has_proxy
    from (
        {%- for level in levels %}
        {%- set columns = level_columns[level] %}
        select
            cast('{{ indicator_code }}' as {{ text }}) as indicator_code,
            cast(period_year as integer) as period_year,
            cast(regio as {{ text }}) as regio,
            {%- for column in ['gemeentecode', 'segment', 'aanbieder_agb'] %}
            cast({{ column if column in columns else "''" }} as {{ text }}) as {{ column }},
            {%- endfor %}
            cast(round(cast({{ numerator }} as {{ num }}), 4) as {{ num }}) as numerator,
            cast(round(cast({{ denominator if denominator is not none else 'null' }} as {{ num }}), 4) as {{ num }})
                as denominator,
            cast('{{ unit }}' as {{ text }}) as unit,
            max(case when {{ provisional }} then 1 else 0 end) = 1 as has_provisional,
            cast({{ n_clients if n_clients is not none else 'count(distinct ' ~ client ~ ')' }} as integer)
                as n_clients,
            cast({{ members if members is not none else 'null' }} as integer) as n_members,
            cast({{ known if known is not none else 'null' }} as integer) as n_known,
            max(case when {{ proxy }} then 1 else 0 end) = 1 as has_proxy
        from {{ facts }}
        group by period_year, regio{% for column in columns %}, {{ column }}{% endfor %}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as rolled_up
{%- endmacro %}

{#- ----------------------------------------------------------------- targets -#}

{#- Target value of a cell (REFERENCE_DATA "Targets"), given the matched target row's columns
    (prefix `t_`) and the cell's baseline:
    - relative: baseline × (1 + change) from the target year on; between baseline and target year
      the yearly change is applied linearly (baseline × (1 + yearly_change × years since the
      baseline)) when the rule has one, else no intermediate target;
    - absolute: the threshold, from the target year on (every year when it has none);
    - trend: no target value (meets_target compares with the previous year). -#}
{% macro target_value(year_expr, baseline_expr) -%}
    case
        when t_target_kind = 'relative' then
            case
                when {{ baseline_expr }} is null or t_baseline_year is null or {{ year_expr }} <= t_baseline_year then null
                when {{ year_expr }} >= t_target_year
                    then {{ baseline_expr }} * (1 + t_change_or_threshold)
                when t_yearly_change is not null
                    then {{ baseline_expr }} * (1 + t_yearly_change * ({{ year_expr }} - t_baseline_year))
            end
        when t_target_kind = 'absolute' then
            case when t_target_year is null or {{ year_expr }} >= t_target_year then t_change_or_threshold end
    end
{%- endmacro %}

{#- meets_target per direction; empty when there is no target, value or comparison point.
    trend: strictly better than the baseline (the previous year's value). -#}
{% macro meets_target(value_expr, target_expr, baseline_expr) -%}
    case
        when {{ value_expr }} is null or t_target_kind is null then null
        when t_target_kind = 'trend' then
            case
                when {{ baseline_expr }} is null then null
                when t_direction = 'lower_is_better' then {{ value_expr }} < {{ baseline_expr }}
                else {{ value_expr }} > {{ baseline_expr }}
            end
        when {{ target_expr }} is null then null
        when t_direction = 'lower_is_better' then {{ value_expr }} <= {{ target_expr }}
        else {{ value_expr }} >= {{ target_expr }}
    end
{%- endmacro %}

{#- §7: a cell is suppressed when 1 … threshold−1 distinct clients are behind it. A cell with no
    client behind it (a count of 0, e.g. an empty waiting list) identifies nobody and is shown. -#}
{% macro is_small_cell(n_clients_expr) -%}
    ({{ n_clients_expr }} > 0 and {{ n_clients_expr }} < {{ var('suppression_threshold') }})
{%- endmacro %}

{#- §7 coverage of a cell: the share of its members whose needed fact is known (known / all);
    empty for an indicator that needs no fact that can be unknown, or a cell without members. -#}
{% macro cell_coverage(known_expr, members_expr) -%}
    (cast({{ known_expr }} as {{ dbt.type_numeric() }}) / nullif(cast({{ members_expr }} as {{ dbt.type_numeric() }}), 0))
{%- endmacro %}

{#- §7: a cell is insufficient when its coverage is below var min_coverage (default 0.8; exactly
    on it is enough). Compared as known < min × members, so no rounding of the share decides it. -#}
{% macro is_insufficient_cell(known_expr, members_expr) -%}
    coalesce(
        {{ members_expr }} > 0
        and cast({{ known_expr }} as {{ dbt.type_numeric() }})
        < cast({{ var('min_coverage') }} as {{ dbt.type_numeric() }}) * cast({{ members_expr }} as {{ dbt.type_numeric() }}),
        false
    )
{%- endmacro %}

{#- The evaluated, suppressed long table from the union of the family models (`cells`: the common
    long shape) and the targets seed. One target row per cell: the row for the cell's own segment
    if any, else the row with an empty segment (it applies to every segment). -#}
{% macro evaluate_indicator_cells(cells, targets) -%}
    {%- set key = 'indicator_code, period_year, regio, gemeentecode, segment, aanbieder_agb' -%}
    {%- set num = dbt.type_numeric() -%}
    with cells as (
        select
            *,
            {{ is_small_cell('n_clients') }} as is_suppressed,
            {{ cell_coverage('n_known', 'n_members') }} as coverage,
            {{ is_insufficient_cell('n_known', 'n_members') }} as is_insufficient
        from {{ cells }}
    ),

    target_candidates as (
        select
            cells.*,
            t.target_kind as t_target_kind,
            cast(t.baseline_year as integer) as t_baseline_year,
            cast(t.target_year as integer) as t_target_year,
            cast(t.change_or_threshold as {{ num }}) as t_change_or_threshold,
            cast(t.yearly_change as {{ num }}) as t_yearly_change,
            cast(t.fixed_baseline_value as {{ num }}) as t_fixed_baseline_value,
            t.direction as t_direction,
            row_number() over (
                partition by {% for c in key.split(', ') %}cells.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
                order by case when t.segment is null then 1 else 0 end
            ) as target_rank
        from cells
        left join {{ targets }} as t
            on cells.indicator_code = t.indicator_code
            and cells.regio = t.regio
            and (t.segment is null or t.segment = cells.segment)
    ),

    with_target as (
        select * from target_candidates where target_rank = 1
    ),

    {#- The reference cell: the baseline year's value of the same key (relative, absolute), or
        the previous year's (trend). A suppressed reference is not shown and not used. -#}
    with_reference as (
        select
            with_target.*,
            case
                when with_target.t_target_kind is null then null
                when with_target.t_fixed_baseline_value is not null then with_target.t_fixed_baseline_value
                when reference.is_suppressed or reference.is_insufficient then null
                else reference.value
            end as reference_value,
            coalesce(reference.is_suppressed or reference.is_insufficient, false)
            and with_target.t_fixed_baseline_value is null
                as reference_suppressed
        from with_target
        left join cells as reference
            on with_target.indicator_code = reference.indicator_code
            and with_target.regio = reference.regio
            and with_target.gemeentecode = reference.gemeentecode
            and with_target.segment = reference.segment
            and with_target.aanbieder_agb = reference.aanbieder_agb
            and reference.period_year = case
                when with_target.t_target_kind = 'trend' then with_target.period_year - 1
                else with_target.t_baseline_year
            end
    ),

    evaluated as (
        select
            *,
            cast(round(cast({{ target_value('period_year', 'reference_value') }} as {{ num }}), 4) as {{ num }})
                as target_value_raw
        from with_reference
    )

    select
        indicator_code,
        period_year,
        regio,
        gemeentecode,
        segment,
        aanbieder_agb,
        case when is_suppressed or is_insufficient then null else numerator end as numerator,
        case when is_suppressed or is_insufficient then null else denominator end as denominator,
        case when is_suppressed or is_insufficient then null else value end as value,
        unit,
        cast(reference_value as {{ num }}) as baseline_value,
        target_value_raw as target_value,
        case
            when is_suppressed or is_insufficient or reference_suppressed then null
            else {{ meets_target('value', 'target_value_raw', 'reference_value') }}
        end as meets_target,
        (not has_provisional) and {{ year_is_final('period_year') }} as is_final,
        is_suppressed as suppressed,
        cast(round(coverage, 4) as {{ num }}) as coverage,
        case
            when is_insufficient then 'insufficient'
            when coalesce(has_proxy, false) then 'proxy'
            else 'complete'
        end as data_quality
    from evaluated
{%- endmacro %}
