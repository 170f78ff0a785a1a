// The invoice normalisation of docs/metrics.md in DuckDB SQL: convert at the latest rate on or
// before service_start (ASOF join), whole months amount/k else by days, expand into the covered
// months, sum per customer and month. Prints the wall time and the row count.
import { DuckDBInstance } from '@duckdb/node-api';
const files = process.argv.slice(2, -1).map(f => `'${f}'`).join(',');
const fx = process.argv[process.argv.length - 1];
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const t0 = performance.now();
const sql = `
WITH lines AS (
  SELECT * FROM read_csv([${files}], header=true, columns={'customer_id':'VARCHAR','service_start':'DATE',
    'service_end':'DATE','amount':'DECIMAL(18,6)','currency':'VARCHAR','line_type':'VARCHAR','segment':'VARCHAR',
    'acquisition_cost':'DECIMAL(18,6)','csat':'INTEGER'})),
fx AS (SELECT * FROM read_csv('${fx}', header=true, columns={'date':'DATE','currency':'VARCHAR','rate':'DECIMAL(18,12)'})),
sub AS (
  SELECT l.customer_id, l.service_start AS s, l.service_end AS e,
         CASE WHEN l.currency IS NULL OR l.currency = 'USD' THEN l.amount::DECIMAL(38,12)
              ELSE round_even(l.amount * f.rate, 6) END AS usd
  FROM lines l ASOF LEFT JOIN fx f ON l.currency = f.currency AND l.service_start >= f.date
  WHERE coalesce(l.line_type, 'subscription') = 'subscription'),
k AS (
  SELECT *, datediff('month', s, e) AS k0,
         (e - (e - INTERVAL 1 MONTH)::DATE) AS month_days, (e - s) AS d FROM sub),
norm AS (
  SELECT customer_id, s, e,
    CASE WHEN k0 >= 1 AND ((s + to_months(k0))::DATE = e OR (s = last_day(s) AND e = last_day(e)))
         THEN round_even(usd / k0, 6) ELSE round_even(usd * month_days / d, 6) END AS monthly
  FROM k),
rows AS (
  SELECT customer_id, m, monthly FROM norm,
    generate_series(date_trunc('month', s), date_trunc('month', e) - INTERVAL 1 MONTH, INTERVAL 1 MONTH) AS g(m))
SELECT count(*) AS customer_months, sum(mrr) AS total FROM (
  SELECT customer_id, m, sum(monthly) AS mrr FROM rows GROUP BY ALL)`;
const r = await c.runAndReadAll(sql);
const t1 = performance.now();
console.log(JSON.stringify({ seconds: (t1 - t0) / 1000, result: r.getRows().map(x => x.map(String)) }));
