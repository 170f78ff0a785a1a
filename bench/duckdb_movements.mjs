#!/usr/bin/env node
// The peer of `csm-metrics movements` (issue 22) in DuckDB SQL: the customer-month revenue
// (rows summed), active = revenue > 0, each customer's active months walked in order with
// lag/lead (docs/metrics.md, section 2: new, reactivation, expansion, contraction, churn), one
// line per customer, month and movement, sorted as csm-metrics sorts them (period, customer id,
// movement) and written as CSV with the header of `movements -f csv` (without the group column).
// Activity records (customer_id, period, revenue, ...), month grain, no --by.
//
// Usage: node duckdb_movements.mjs [--threads N] FILE OUT.csv
// Prints {"engine", "seconds", "lines"} as JSON.
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
let threads = null;
const rest = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads') threads = Number(args[++i]);
  else rest.push(args[i]);
}
if (rest.length !== 2) {
  console.error('usage: node duckdb_movements.mjs [--threads N] FILE OUT.csv');
  process.exit(2);
}
const q = s => `'${s.replaceAll("'", "''")}'`;
const [file, out] = rest;
const columns = `{'customer_id': 'VARCHAR', 'period': 'VARCHAR', 'revenue': 'DECIMAL(18,6)',
  'acquisition_cost': 'DECIMAL(18,6)', 'csat': 'INTEGER', 'segment': 'VARCHAR'}`;
const source = `read_csv(${q(file)}, header = true, delim = ',', quote = '"', escape = '"',
  auto_detect = false, columns = ${columns})`;
const sql = `
COPY (
WITH cm AS (
  SELECT customer_id,
         CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1 AS m,
         sum(revenue) AS rev
  FROM ${source} GROUP BY ALL),
bounds AS (SELECT max(m) AS hi FROM cm),
act AS (
  SELECT customer_id, m, rev,
         lag(m) OVER w AS pm, lag(rev) OVER w AS prev, lead(m) OVER w AS nm
  FROM cm WHERE rev > 0
  WINDOW w AS (PARTITION BY customer_id ORDER BY m)),
lines AS (
  SELECT m, customer_id,
         CASE WHEN pm IS NULL THEN 1 WHEN pm < m - 1 THEN 2 WHEN rev > prev THEN 3 ELSE 4 END AS kind,
         CASE WHEN pm = m - 1 THEN prev ELSE 0 END AS before, rev AS after
  FROM act WHERE pm IS NULL OR pm < m - 1 OR rev <> prev
  UNION ALL
  SELECT m + 1, customer_id, 5, rev, 0
  FROM act, bounds WHERE (nm IS NULL OR nm > m + 1) AND m + 1 <= hi)
SELECT printf('%04d-%02d', m // 12, m % 12 + 1) AS period, customer_id,
       ['new', 'reactivation', 'expansion', 'contraction', 'churn'][kind] AS movement,
       before AS mrr_before, after AS mrr_after, after - before AS mrr_change
FROM lines ORDER BY m, customer_id, kind
) TO ${q(out)} (HEADER, DELIMITER ',')`;

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
if (threads) await con.run(`SET threads = ${threads}`);
const t0 = performance.now();
const r = await con.runAndReadAll(sql);
const t1 = performance.now();
console.log(JSON.stringify({ engine: 'duckdb', seconds: (t1 - t0) / 1000, lines: Number(r.getRows()[0]?.[0] ?? -1) }));
