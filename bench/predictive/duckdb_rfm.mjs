#!/usr/bin/env node
// DuckDB (npm @duckdb/node-api, installed in bench/ by bench/run_bench.sh) computing the same
// per-customer summary as `csm-metrics rfm --end END -f csv` in SQL (issue 22's peer for rfm):
// purchases summed per customer and day up to END; x = purchase days - 1, t_x and T in weeks,
// monetary = the mean of the repeat days' amounts. Writes the CSV to OUT, sorted by customer_id.
// bench/predictive/compare_rfm.py compares it with csm-metrics' output.
//
// Usage: node bench/predictive/duckdb_rfm.mjs TRANSACTIONS.csv END OUT.csv
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'));
const { DuckDBInstance } = await import(require.resolve('@duckdb/node-api'));
const [file, end, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node duckdb_rfm.mjs TRANSACTIONS.csv END OUT.csv');
  process.exit(2);
}
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const sql = `
COPY (
  WITH tx AS (
    SELECT customer_id, date AS d, amount
    FROM read_csv(${q(file)}, header = true, delim = ',', quote = '"', escape = '"',
      columns = {'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DECIMAL(18,6)', 'quantity': 'INTEGER'})
    WHERE date <= DATE ${q(end)}),
  days AS (SELECT customer_id, d, sum(amount) AS amount FROM tx GROUP BY customer_id, d),
  c AS (SELECT customer_id, min(d) AS first, max(d) AS last, count(*) AS n, sum(amount) AS total,
               arg_min(amount, d) AS first_amount
        FROM days GROUP BY customer_id)
  SELECT customer_id, first AS first_purchase, n - 1 AS x, (last - first) / 7.0 AS t_x,
         (DATE ${q(end)} - first) / 7.0 AS "T",
         CASE WHEN n > 1 THEN CAST(total - first_amount AS DOUBLE) / (n - 1) END AS monetary,
         'week' AS unit
  FROM c ORDER BY customer_id
) TO ${q(out)} (HEADER, DELIMITER ',')`;
const connection = await (await DuckDBInstance.create(':memory:')).connect();
await connection.run(sql);
