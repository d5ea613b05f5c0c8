-- One indicator per aanbieder (provider) for one year: the basis of an ontwikkelgesprek.
-- Parameters: $indicator_code, $period_year. Only indicators with provider rows return data.
select
    regio,
    aanbieder_agb,
    segment,
    numerator,
    denominator,
    value,
    unit,
    suppressed
from marts.fct_indicator_values
where indicator_code = $indicator_code
    and period_year = $period_year
    and aanbieder_agb <> '' and gemeentecode = ''
order by regio, value desc nulls last;
