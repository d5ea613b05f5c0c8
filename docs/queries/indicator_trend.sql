-- One indicator, region-wide, per year: value against baseline and streefwaarde.
-- Parameter: $indicator_code (e.g. 'recidive'). Suppressed cells (< 5 clients) show NULL values.
select
    regio,
    period_year,
    value,
    unit,
    baseline_value,
    target_value,
    meets_target,
    is_final,
    suppressed
from marts.fct_indicator_values
where indicator_code = $indicator_code
    and gemeentecode = '' and segment = '' and aanbieder_agb = ''
order by regio, period_year;
