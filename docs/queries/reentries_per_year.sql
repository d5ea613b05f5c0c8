-- Re-entries (recidive) per start year with the gap since the previous trajectory (§4).
select
    extract(year from start_date) as start_year,
    count(*) as reentries,
    min(gap_days) as min_gap_days,
    median(gap_days) as median_gap_days
from marts.fct_trajectories
where is_reentry
group by start_year
order by start_year;
