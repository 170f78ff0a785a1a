#!/usr/bin/env node
// ClickHouse's engine embedded through npm chdb, computing the first slice's monthly activity
// metrics (same query shape as duckdb_metrics.sql, in ClickHouse SQL), for run_bench.sh.
// Prints {"engine", "periods": [...]} as JSON: money as exact decimal text (Decimal sums).
//
// Usage: node chdb_metrics.mjs FILE      (FILE: .csv, or .jsonl/.ndjson)
import { resolve } from 'node:path';
import { query } from 'chdb';

const files = process.argv.slice(2);
if (files.length !== 1) {
  console.error('usage: node chdb_metrics.mjs FILE');
  process.exit(2);
}
const file = resolve(files[0]).replaceAll('\\', '\\\\').replaceAll("'", "\\'");
const format = /\.(jsonl|ndjson)$/i.test(file) ? 'JSONEachRow' : 'CSVWithNames';
// Explicit structure: no schema inference, money read as exact Decimal(18,6).
const structure = 'customer_id String, period String, revenue Decimal(18, 6), ' +
  'acquisition_cost Nullable(Decimal(18, 6)), csat Nullable(Int32), segment Nullable(String)';

const sql = `
WITH
cm AS (
    SELECT customer_id,
           toInt32(substring(period, 1, 4)) * 12 + toInt32(substring(period, 6, 2)) - 1 AS m,
           sum(revenue) AS rev,
           sum(acquisition_cost) AS acq,
           count(csat) AS responses,
           countIf(csat >= 4) AS satisfied
    FROM file('${file}', '${format}', '${structure}')
    GROUP BY customer_id, m
),
act AS (
    SELECT m, rev,
           lagInFrame(toNullable(m)) OVER w AS pm,
           lagInFrame(rev) OVER w AS prev,
           leadInFrame(toNullable(m)) OVER w AS nm
    FROM cm
    WHERE rev > 0
    WINDOW w AS (PARTITION BY customer_id ORDER BY m ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
gains AS (
    SELECT m,
           count() AS e, sum(rev) AS mrr_end,
           countIf(pm IS NULL) AS n, sumIf(rev, pm IS NULL) AS new_mrr,
           countIf(pm < m - 1) AS a, sumIf(rev, pm < m - 1) AS reactivation_mrr,
           countIf(pm = m - 1 AND rev > prev) AS x, sumIf(rev - prev, pm = m - 1 AND rev > prev) AS expansion_mrr,
           countIf(pm = m - 1 AND rev < prev) AS k, sumIf(prev - rev, pm = m - 1 AND rev < prev) AS contraction_mrr
    FROM act GROUP BY m
),
losses AS (
    SELECT m1 AS m, count() AS c, sum(rev) AS churned_mrr
    FROM (SELECT m + 1 AS m1, rev FROM act WHERE nm IS NULL OR nm > m + 1)
    GROUP BY m1
),
other AS (
    SELECT m, sum(acq) AS acq, sum(responses) AS responses, sum(satisfied) AS satisfied
    FROM cm GROUP BY m
),
months AS (
    SELECT toInt32(lo + number) AS m
    FROM (SELECT min(m) AS lo, max(m) AS hi FROM cm) AS b, numbers(100000) AS nums
    WHERE number <= hi - lo
),
base AS (
    SELECT mo.m AS m,
           toInt64(ifNull(g0.e, 0)) AS s, toInt64(ifNull(l.c, 0)) AS c,
           toInt64(ifNull(g.n, 0)) AS n, toInt64(ifNull(g.a, 0)) AS a, toInt64(ifNull(g.e, 0)) AS e,
           toInt64(ifNull(g.x, 0)) AS x, toInt64(ifNull(g.k, 0)) AS k,
           toDecimal128(ifNull(g0.mrr_end, 0), 6) AS ms,
           toDecimal128(ifNull(g.mrr_end, 0), 6) AS me,
           toDecimal128(ifNull(g.new_mrr, 0), 6) AS nw,
           toDecimal128(ifNull(g.reactivation_mrr, 0), 6) AS ra,
           toDecimal128(ifNull(g.expansion_mrr, 0), 6) AS ex,
           toDecimal128(ifNull(g.contraction_mrr, 0), 6) AS co,
           toDecimal128(ifNull(l.churned_mrr, 0), 6) AS ch,
           toDecimal128(ifNull(o.acq, 0), 6) AS aq,
           toInt64(ifNull(o.responses, 0)) AS rs, toInt64(ifNull(o.satisfied, 0)) AS st
    FROM months AS mo
    LEFT JOIN gains AS g ON g.m = mo.m
    LEFT JOIN gains AS g0 ON g0.m = mo.m - 1
    LEFT JOIN losses AS l ON l.m = mo.m
    LEFT JOIN other AS o ON o.m = mo.m
    SETTINGS join_use_nulls = 1
)
SELECT concat(leftPad(toString(intDiv(m, 12)), 4, '0'), '-', leftPad(toString(m % 12 + 1), 2, '0')) AS period,
       toInt32(s) AS customers_start, toInt32(c) AS churned_customers, toInt32(s - c) AS retained_customers,
       toInt32(n) AS new_customers, toInt32(a) AS reactivated_customers, toInt32(e) AS customers_end,
       toInt32(x) AS expanded_customers, toInt32(k) AS contracted_customers,
       if(s > 0, 100.0 * c / s, NULL) AS churn_rate,
       if(s > 0, 100.0 * (s - c) / s, NULL) AS retention_rate,
       if(s > 0, 100.0 * x / s, NULL) AS expansion_rate,
       toString(ms) AS mrr_start, toString(me) AS mrr_end, toString(nw) AS new_mrr,
       toString(ra) AS reactivation_mrr, toString(ex) AS expansion_mrr,
       toString(co) AS contraction_mrr, toString(ch) AS churned_mrr,
       if(ms > 0, 100.0 * toFloat64(ms - ch - co) / toFloat64(ms), NULL) AS grr,
       if(ms > 0, 100.0 * toFloat64(ms - ch - co + ex) / toFloat64(ms), NULL) AS nrr,
       if(e > 0, toFloat64(me) / e, NULL) AS arpu,
       if(rs > 0, 100.0 * st / rs, NULL) AS csat,
       if(n > 0, toFloat64(aq) / n, NULL) AS cac,
       toInt32(rs) AS csat_responses, toString(aq) AS acquisition_cost
FROM base
ORDER BY m
`;

const out = query(sql, 'JSONEachRow');
const periods = out.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
process.stdout.write(JSON.stringify({ engine: 'chdb', periods }, null, 1) + '\n');
