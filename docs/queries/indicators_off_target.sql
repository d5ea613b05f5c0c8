-- Every region-wide indicator that misses its streefwaarde in its latest year.
with latest as (
    select *, row_number() over (
        partition by indicator_code, regio order by period_year desc) as rn
    from marts.fct_indicator_values
    where gemeentecode = '' and segment = '' and aanbieder_agb = ''
)
select l.regio, l.indicator_code, d.name_nl, l.period_year, l.value, l.target_value, l.is_final
from latest as l
inner join marts.dim_indicators as d using (indicator_code)
where l.rn = 1 and l.meets_target = false
order by l.regio, l.indicator_code;
