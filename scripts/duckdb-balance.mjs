// Balances a generated pair (emr.csv, billing.csv from cmd/genexports) in
// DuckDB, the way a user would with a database: read both CSVs, build
// distinct visit keys (location, normalised patient, date of service) with
// the same name and date normalisation as balancebot, full outer join, and
// count per location. Prints JSON: per-location counts and the query time.
//
//   node scripts/duckdb-balance.mjs DIR [RUNS]
//
// Needs @duckdb/node-api (scripts/compare.sh installs it).
import { DuckDBInstance } from '@duckdb/node-api';
import { performance } from 'node:perf_hooks';
import path from 'node:path';

const dir = process.argv[2];
const runs = Number(process.argv[3] ?? 3);
const emr = path.join(dir, 'emr.csv');
const billing = path.join(dir, 'billing.csv');

// NameKey in SQL: "Last, First M." and "FIRST M LAST" both give
// "last|first"; case, accents and punctuation ignored (the generated names
// have no compound surnames or suffixes, so the particle and suffix rules of
// balancebot's NameKey are not needed here).
const clean = (e) => `regexp_replace(lower(strip_accents(${e})), '[^a-z0-9]', '', 'g')`;
const nameKey = (p) => `CASE WHEN contains(${p}, ',')
  THEN ${clean(`split_part(${p}, ',', 1)`)} || '|' || ${clean(`string_split(trim(split_part(${p}, ',', 2)), ' ')[1]`)}
  ELSE ${clean(`list_last(string_split(trim(${p}), ' '))`)} || '|' || ${clean(`string_split(trim(${p}), ' ')[1]`)}
  END`;

const sql = `
WITH e AS (
  SELECT DISTINCT "Location" AS loc, ${nameKey('"Patient"')} AS who, strptime("Date of Service", '%m/%d/%Y')::DATE AS dos
  FROM read_csv('${emr}', header = true, all_varchar = true)
), b AS (
  SELECT DISTINCT "Location" AS loc, ${nameKey('"Patient"')} AS who, strptime("Date of Service", '%m/%d/%Y')::DATE AS dos
  FROM read_csv('${billing}', header = true, all_varchar = true)
)
SELECT coalesce(e.loc, b.loc) AS location,
       count(e.who) AS emr_visits,
       count(b.who) AS billing_visits,
       count(e.who) FILTER (WHERE b.who IS NOT NULL) AS matched_visits
FROM e FULL OUTER JOIN b ON e.loc = b.loc AND e.who = b.who AND e.dos = b.dos
GROUP BY 1 ORDER BY 1`;

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const times = [];
let rows;
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const reader = await conn.runAndReadAll(sql);
  rows = reader.getRowObjectsJS();
  times.push((performance.now() - t) / 1000);
}
times.sort((a, b) => a - b);
const threads = (await conn.runAndReadAll(`SELECT current_setting('threads') AS t`)).getRowObjectsJS()[0].t;
console.log(JSON.stringify({
  engine: 'duckdb',
  threads: Number(threads),
  seconds_median: times[Math.floor(times.length / 2)],
  seconds: times,
  locations: rows.map((r) => ({
    location: r.location, emr_visits: Number(r.emr_visits),
    billing_visits: Number(r.billing_visits), matched_visits: Number(r.matched_visits),
  })),
}));
