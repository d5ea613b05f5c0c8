-- DEFINITIONS §6 spend_by_segment: net declared cost in euros per regional segment and year
-- (segment '' = all segments), and spend_by_segment_share: the segment's cost as % of the cost of
-- all segments in the same regio (or gemeente) and year.
-- A table in the working database's `indicator_cells` schema, never published: only the
-- suppressed cells of fct_indicator_values reach the published marts (§7).
{{ config(materialized='table', schema='indicator_cells') }}

with facts as (
    select * from {{ ref('int_indicators__declaration_amounts') }}
),

spend as (
    {{ indicator_rollup(
        'facts', 'spend_by_segment', 'euro',
        numerator='sum(net_amount_cents) / 100.0',
        n_clients='count(distinct case when net_amount_cents > 0 then client_id end)',
        levels=('regio', 'gemeente', 'segment', 'gemeente_segment', 'aanbieder')
    ) }}
),

shares as (
    select
        cast('spend_by_segment_share' as {{ dbt.type_string() }}) as indicator_code,
        segment_spend.period_year,
        segment_spend.regio,
        segment_spend.gemeentecode,
        segment_spend.segment,
        segment_spend.aanbieder_agb,
        segment_spend.numerator,
        total_spend.numerator as denominator,
        cast(
            {{ indicator_value('percent', 'segment_spend.numerator', 'total_spend.numerator') }}
            as {{ dbt.type_numeric() }}
        ) as value,
        cast('percent' as {{ dbt.type_string() }}) as unit,
        segment_spend.has_provisional,
        segment_spend.n_clients,
        segment_spend.n_members,
        segment_spend.n_known,
        segment_spend.has_proxy
    from spend as segment_spend
    inner join spend as total_spend
        on segment_spend.period_year = total_spend.period_year
            and segment_spend.regio = total_spend.regio
            and segment_spend.gemeentecode = total_spend.gemeentecode
            and total_spend.segment = ''
            and total_spend.aanbieder_agb = ''
    where segment_spend.segment <> ''
        and segment_spend.aanbieder_agb = ''
)

select * from spend
union all
select * from shares
