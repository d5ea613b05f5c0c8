-- Net declared cost (credits netted against debits, §5) per gemeente and month, in euros.
select gemeentecode, period_month, sum(net_amount_cents) / 100.0 as net_cost_eur
from marts.fct_declarations_monthly
group by gemeentecode, period_month
order by gemeentecode, period_month;
