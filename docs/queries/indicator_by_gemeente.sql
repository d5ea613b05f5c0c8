-- One indicator per gemeente for one year (for the municipal dashboards).
-- Parameters: $indicator_code, $period_year.
select
    v.regio,
    v.gemeentecode,
    v.numerator,
    v.denominator,
    v.value,
    v.unit,
    v.target_value,
    v.meets_target,
    v.is_final,
    v.suppressed
from marts.fct_indicator_values as v
where v.indicator_code = $indicator_code
    and v.period_year = $period_year
    and v.gemeentecode <> '' and v.segment = '' and v.aanbieder_agb = ''
order by v.regio, v.gemeentecode;
