-- Trajectories per gemeente of their first allocation and status (DEFINITIONS §4).
select gemeentecode, status, count(*) as trajectories, avg(duration_days) as avg_duration_days
from marts.fct_trajectories
group by gemeentecode, status
order by gemeentecode, status;
