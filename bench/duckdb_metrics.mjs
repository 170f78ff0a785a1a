#!/usr/bin/env node
// DuckDB (npm @duckdb/node-api) computing the first slice's monthly activity metrics with
// duckdb_metrics.sql, for the benchmark in run_bench.sh. Prints {"engine", "periods": [...]}
// as JSON: one object per month, money as exact decimal text, rates as numbers or null.
//
// Usage: node duckdb_metrics.mjs [--threads N] FILE      (FILE: .csv, or .jsonl/.ndjson)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
let threads = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads') threads = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length !== 1) {
  console.error('usage: node duckdb_metrics.mjs [--threads N] FILE');
  process.exit(2);
}
const file = files[0];
const quoted = `'${file.replaceAll("'", "''")}'`;
// Explicit column types: no sniffing, and money read as exact DECIMAL(18,6).
const columns = `{'customer_id': 'VARCHAR', 'period': 'VARCHAR', 'revenue': 'DECIMAL(18,6)',
  'acquisition_cost': 'DECIMAL(18,6)', 'csat': 'INTEGER', 'segment': 'VARCHAR'}`;
const source = /\.(jsonl|ndjson)$/i.test(file)
  ? `read_json(${quoted}, format = 'newline_delimited', columns = ${columns})`
  : `read_csv(${quoted}, header = true, delim = ',', quote = '"', escape = '"',
       auto_detect = false, columns = ${columns})`;

const here = dirname(fileURLToPath(import.meta.url));
const sql = readFileSync(join(here, 'duckdb_metrics.sql'), 'utf8');

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
if (threads) await con.run(`SET threads = ${threads}`);
await con.run(`CREATE VIEW activity AS SELECT customer_id, period, revenue, acquisition_cost, csat FROM ${source}`);
const reader = await con.runAndReadAll(sql);
const periods = reader.getRowObjects();
process.stdout.write(JSON.stringify({ engine: 'duckdb', periods }, null, 1) + '\n');
