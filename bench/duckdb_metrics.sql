-- The first slice's monthly metrics for activity records (issue 2, "Metrics: the contract
-- for activity records"), as one DuckDB query over a view named `activity` with columns
-- customer_id VARCHAR, period VARCHAR, revenue DECIMAL(18,6), acquisition_cost DECIMAL(18,6),
-- csat INTEGER (duckdb_metrics.mjs creates that view over read_csv or read_json).
--
-- Money stays DECIMAL throughout (sums are DECIMAL(38,6), HUGEINT-backed), so the money
-- columns are exact and are returned as text; only the rates and ratios are DOUBLE.
-- The query reads the input once: everything per month is derived from the
-- per-(customer, month) aggregate `cm`.
WITH cm AS MATERIALIZED (
    -- one row per customer and month: revenue summed (add-on rows), plus the
    -- month's acquisition spend and csat responses, which count on any row
    SELECT customer_id,
           CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1 AS m,
           sum(revenue)                        AS rev,
           sum(acquisition_cost)               AS acq,
           count(csat)                         AS responses,
           count(*) FILTER (WHERE csat >= 4)   AS satisfied
    FROM activity
    GROUP BY ALL
),
act AS (
    -- active customer-months (summed revenue > 0), each with the customer's previous
    -- and next active month and the previous active month's revenue
    SELECT m, rev,
           lag(m)   OVER w AS pm,
           lag(rev) OVER w AS prev,
           lead(m)  OVER w AS nm
    FROM cm
    WHERE rev > 0
    WINDOW w AS (PARTITION BY customer_id ORDER BY m)
),
gains AS (
    SELECT m,
           count(*)                                        AS e,
           sum(rev)                                        AS mrr_end,
           count(*) FILTER (WHERE pm IS NULL)              AS n,
           sum(rev) FILTER (WHERE pm IS NULL)              AS new_mrr,
           count(*) FILTER (WHERE pm < m - 1)              AS a,
           sum(rev) FILTER (WHERE pm < m - 1)              AS reactivation_mrr,
           count(*) FILTER (WHERE pm = m - 1 AND rev > prev)        AS x,
           sum(rev - prev) FILTER (WHERE pm = m - 1 AND rev > prev) AS expansion_mrr,
           count(*) FILTER (WHERE pm = m - 1 AND rev < prev)        AS k,
           sum(prev - rev) FILTER (WHERE pm = m - 1 AND rev < prev) AS contraction_mrr
    FROM act
    GROUP BY m
),
losses AS (
    -- active in m and not in m + 1: churned in m + 1, with m's revenue
    SELECT m + 1 AS m, count(*) AS c, sum(rev) AS churned_mrr
    FROM act
    WHERE nm IS NULL OR nm > m + 1
    GROUP BY m + 1
),
other AS (
    SELECT m, sum(acq) AS acq, sum(responses) AS responses, sum(satisfied) AS satisfied
    FROM cm
    GROUP BY m
),
months AS (
    -- every calendar month from the first to the last in the data, rows or not
    SELECT range AS m
    FROM (SELECT min(m) AS lo, max(m) AS hi FROM cm), range(lo, hi + 1)
),
base AS (
    SELECT mo.m,
           coalesce(g0.e, 0)                        AS s,
           coalesce(l.c, 0)                         AS c,
           coalesce(g.n, 0)                         AS n,
           coalesce(g.a, 0)                         AS a,
           coalesce(g.e, 0)                         AS e,
           coalesce(g.x, 0)                         AS x,
           coalesce(g.k, 0)                         AS k,
           coalesce(g0.mrr_end, 0)                  AS mrr_start,
           coalesce(g.mrr_end, 0)                   AS mrr_end,
           coalesce(g.new_mrr, 0)                   AS new_mrr,
           coalesce(g.reactivation_mrr, 0)          AS reactivation_mrr,
           coalesce(g.expansion_mrr, 0)             AS expansion_mrr,
           coalesce(g.contraction_mrr, 0)           AS contraction_mrr,
           coalesce(l.churned_mrr, 0)               AS churned_mrr,
           coalesce(o.acq, 0)                       AS acq,
           coalesce(o.responses, 0)                 AS responses,
           coalesce(o.satisfied, 0)                 AS satisfied
    FROM months mo
    LEFT JOIN gains g  ON g.m = mo.m
    LEFT JOIN gains g0 ON g0.m = mo.m - 1
    LEFT JOIN losses l ON l.m = mo.m
    LEFT JOIN other o  ON o.m = mo.m
)
SELECT printf('%04d-%02d', m // 12, m % 12 + 1)                        AS period,
       CAST(s AS INTEGER)                                              AS customers_start,
       CAST(c AS INTEGER)                                              AS churned_customers,
       CAST(s - c AS INTEGER)                                          AS retained_customers,
       CAST(n AS INTEGER)                                              AS new_customers,
       CAST(a AS INTEGER)                                              AS reactivated_customers,
       CAST(e AS INTEGER)                                              AS customers_end,
       CAST(x AS INTEGER)                                              AS expanded_customers,
       CAST(k AS INTEGER)                                              AS contracted_customers,
       CASE WHEN s > 0 THEN 100.0::DOUBLE * c / s END                  AS churn_rate,
       CASE WHEN s > 0 THEN 100.0::DOUBLE * (s - c) / s END            AS retention_rate,
       CASE WHEN s > 0 THEN 100.0::DOUBLE * x / s END                  AS expansion_rate,
       CAST(mrr_start AS VARCHAR)                                      AS mrr_start,
       CAST(mrr_end AS VARCHAR)                                        AS mrr_end,
       CAST(new_mrr AS VARCHAR)                                        AS new_mrr,
       CAST(reactivation_mrr AS VARCHAR)                               AS reactivation_mrr,
       CAST(expansion_mrr AS VARCHAR)                                  AS expansion_mrr,
       CAST(contraction_mrr AS VARCHAR)                                AS contraction_mrr,
       CAST(churned_mrr AS VARCHAR)                                    AS churned_mrr,
       CASE WHEN mrr_start > 0 THEN 100.0::DOUBLE
            * CAST(mrr_start - churned_mrr - contraction_mrr AS DOUBLE)
            / CAST(mrr_start AS DOUBLE) END                            AS grr,
       CASE WHEN mrr_start > 0 THEN 100.0::DOUBLE
            * CAST(mrr_start - churned_mrr - contraction_mrr + expansion_mrr AS DOUBLE)
            / CAST(mrr_start AS DOUBLE) END                            AS nrr,
       CASE WHEN e > 0 THEN CAST(mrr_end AS DOUBLE) / e END            AS arpu,
       CASE WHEN responses > 0 THEN 100.0::DOUBLE * satisfied / responses END AS csat,
       CASE WHEN n > 0 THEN CAST(acq AS DOUBLE) / n END                AS cac,
       CAST(responses AS INTEGER)                                      AS csat_responses,
       CAST(acq AS VARCHAR)                                            AS acquisition_cost
FROM base
ORDER BY m;
