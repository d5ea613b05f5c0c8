-- REFERENCE_DATA "a test that every code in the data is known": every iJw code used in the
-- delivered allocations and declarations, per code list, with the number of rows using it. The
-- relationships tests in _int_indicators.yml fail on a code the seeds in seeds/reference/ lack.
with allocations as (
    select * from {{ ref('stg_raw__allocations') }}
),

declarations as (
    select * from {{ ref('stg_raw__declarations') }}
),

used as (
    select
        'productcategorie' as code_list,
        productcategorie as code
    from allocations
    union all
    select
        'productcategorie' as code_list,
        productcategorie as code
    from declarations
    union all
    select
        'eenheid' as code_list,
        eenheid as code
    from allocations
    union all
    select
        'eenheid' as code_list,
        eenheid as code
    from declarations
    union all
    select
        'frequentie' as code_list,
        frequentie as code
    from allocations
    union all
    select
        'reden_beeindiging' as code_list,
        reden_beeindiging as code
    from allocations
    union all
    select
        'verwijzer_type' as code_list,
        verwijzer_type as code
    from allocations
)

select
    cast(code_list as {{ dbt.type_string() }}) as code_list,
    cast(code as {{ dbt.type_string() }}) as code,
    cast(count(*) as bigint) as n_rows
from used
where code is not null
group by code_list, code
