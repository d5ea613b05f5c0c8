{#-
  Month-by-month increments of a published mart (docs/INCREMENTAL.md, "The monthly fact").

  A mart built per calendar month from declaration lines (fct_declarations_monthly) keeps the
  months whose input did not change since the mart was last published, and recomputes the rest.
  "Did not change" is decided on content, never on row ids (raw tables change under the
  mart, and client_id is numbered afresh by a new working database, which the publication
  outlives): int_declarations__month_fingerprints holds, per month, the
  number of input lines and the sum of a 64-bit hash of every column the mart reads (with the
  client's client_key, not its client_id). The fingerprints the published mart was built from
  are kept beside it, in `<publication>.meta.<mart>__months`; a month is recomputed when its
  row there differs from tonight's (symmetric difference: new, changed and vanished months).

  Only on DuckDB, and only when the pipeline seeded the next publication with the published
  mart (orchestration/increments.py decides; a changed definition of the mart drops it first,
  so dbt builds it in full). Everywhere else the model is a plain table.
-#}

{#- The sum of a 64-bit hash of the given columns over a group's rows: equal multisets of rows
    give equal sums; a changed, added or removed row changes it (bar a 2^-64 accident). -#}
{% macro content_fingerprint(columns) -%}
    {{ return(adapter.dispatch('content_fingerprint', 'jeugdhulp')(columns)) }}
{%- endmacro %}

{% macro default__content_fingerprint(columns) -%}
    cast(sum(hash({{ columns | join(', ') }})) as hugeint)
{%- endmacro %}

{% macro spark__content_fingerprint(columns) -%}
    sum(cast(xxhash64({{ columns | join(', ') }}) as decimal(38, 0)))
{%- endmacro %}

{#- The materialisation of a month-incremental mart: incremental on DuckDB, a table elsewhere. -#}
{% macro monthly_increment_materialization() -%}
    {{ return('incremental' if target.type == 'duckdb' else 'table') }}
{%- endmacro %}

{#- Where the fingerprints the published mart was built from are kept. -#}
{% macro monthly_increment_state(relation) -%}
    {{ relation.database }}.meta.{{ relation.identifier }}__months
{%- endmacro %}

{#- The rows of `columns` in one of `tonight` and `kept` but not in the other (symmetric
    difference: new, changed and vanished rows). -#}
{% macro increment_differing_rows(columns, tonight, kept) -%}
    {%- set selected = columns | join(', ') -%}
    (
        select {{ selected }} from {{ tonight }}
        except
        select {{ selected }} from {{ kept }}
    )
    union all
    (
        select {{ selected }} from {{ kept }}
        except
        select {{ selected }} from {{ tonight }}
    )
{%- endmacro %}

{#- The months whose fingerprint differs between tonight and the published mart's state. -#}
{% macro monthly_increment_changed_months(fingerprints, relation) -%}
    select period_month from (
        {{ increment_differing_rows(
            ['period_month', 'n_lines', 'fingerprint'],
            fingerprints, monthly_increment_state(relation)) }}
    ) as changed
{%- endmacro %}

{#- Pre-hook: in an incremental build, log how many months changed and delete their rows; the
    model's select then inserts them again. -#}
{% macro monthly_increment_delete_changed(fingerprints) -%}
    {%- if execute and is_incremental() -%}
        {%- set counts = run_query(
            'select (select count(distinct period_month) from ('
            ~ monthly_increment_changed_months(fingerprints, this)
            ~ ')), (select count(*) from ' ~ fingerprints ~ ')') -%}
        {%- do log(this.identifier ~ ': ' ~ counts.columns[0].values()[0] ~ ' of '
            ~ counts.columns[1].values()[0] ~ ' months changed since the published mart; '
            ~ 'recomputing those, keeping the rest', info=True) -%}
        delete from {{ this }}
        where period_month in ({{ monthly_increment_changed_months(fingerprints, this) }})
    {%- endif -%}
{%- endmacro %}

{#- Keep `query`'s rows as `state_table`, in schema meta of the mart's own database (DuckDB
    only: elsewhere the mart is a plain table and keeps no state). -#}
{% macro increment_keep_state(state_table, query) -%}
    {%- if target.type == 'duckdb' -%}
        create schema if not exists {{ this.database }}.meta;
        create or replace table {{ state_table }} as {{ query }}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook: keep tonight's fingerprints beside the mart, in its own database. -#}
{% macro monthly_increment_save_state(fingerprints) -%}
    {{ increment_keep_state(
        monthly_increment_state(this),
        'select period_month, n_lines, fingerprint from ' ~ fingerprints) }}
{%- endmacro %}

{#- Where the allocation links the published fact was built with are kept: the (gemeentecode,
    toewijzingnummer, allocation_key) of every effective allocation of that night. A fact row's
    allocation_key is its allocation's key there, or none when the allocation is not there. -#}
{% macro monthly_fact_links_state(relation) -%}
    {{ relation.database }}.meta.{{ relation.identifier }}__links
{%- endmacro %}

{#- Pre-hook of fct_declarations_monthly: the rows of the months kept get tonight's
    allocation_key (an allocation withdrawn since, or given an effective version again, changes
    the key of lines in every month, not only in the months whose lines changed). Only the
    allocations whose link differs between tonight and the kept links are updated (symmetric
    difference), so the fact is not scanned for the links it holds. -#}
{% macro monthly_fact_relink_allocations(allocations) -%}
    {%- if execute and is_incremental() -%}
        update {{ this }} as fact
        set allocation_key = relinked.allocation_key
        from (
            select
                changed.gemeentecode,
                changed.toewijzingnummer,
                allocations.allocation_key
            from (
                select distinct gemeentecode, toewijzingnummer from (
                    {{ increment_differing_rows(
                        ['gemeentecode', 'toewijzingnummer', 'allocation_key'],
                        allocations, monthly_fact_links_state(this)) }}
                ) as differing
            ) as changed
            left join {{ allocations }} as allocations
                on changed.gemeentecode = allocations.gemeentecode
                    and changed.toewijzingnummer = allocations.toewijzingnummer
        ) as relinked
        where fact.gemeentecode = relinked.gemeentecode
            and fact.toewijzingnummer = relinked.toewijzingnummer
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of fct_declarations_monthly: keep tonight's allocation links beside the fact. -#}
{% macro monthly_fact_save_links(allocations) -%}
    {{ increment_keep_state(
        monthly_fact_links_state(this),
        'select gemeentecode, toewijzingnummer, allocation_key from ' ~ allocations) }}
{%- endmacro %}
