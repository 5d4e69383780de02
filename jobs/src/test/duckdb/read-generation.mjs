// Reads one imgindex generation with DuckDB, through its manifest, and prints what it found as one JSON object.
// Usage: node read-generation.mjs <generation folder>
//
// The manifest lists the generation's files (paths relative to its folder; "../" ones under the index root, where
// segments live): read exactly those. Segment folders are Hive-style (segments/shard=<k>/<id>/rows.parquet), so
// hive_partitioning adds the shard column.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const dir = process.argv[2];
const manifest = JSON.parse(readFileSync(resolve(dir, '_manifest.json'), 'utf8'));
const files = (table) => manifest.files
  .filter((f) => f.table === table && (f.kind === undefined || f.kind === 'rows'))
  .map((f) => `'${resolve(dir, f.path)}'`)
  .join(', ');

const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const rows = async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJson();

const index = `read_parquet([${files('index')}], hive_partitioning = true)`;
const result = {
  shards: await rows(`SELECT shard, count(*) AS n FROM ${index} GROUP BY shard ORDER BY shard`),
  vectors: await rows(`SELECT min(len(vector)) AS min_dim, max(len(vector)) AS max_dim,
                              min(list_sum(list_transform(vector, x -> x * x))) AS min_norm2,
                              max(list_sum(list_transform(vector, x -> x * x))) AS max_norm2 FROM ${index}`),
  columns: await rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${index})`),
  titles: await rows(`SELECT id, metadata['title'] AS title FROM ${index} ORDER BY id LIMIT 3`),
  duplicates: await rows(`SELECT id, duplicate_of, match FROM read_parquet([${files('duplicates')}])`),
  failures: await rows(`SELECT id, reason FROM read_parquet([${files('failures')}])`),
};
console.log(JSON.stringify(result));
