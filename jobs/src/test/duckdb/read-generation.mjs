// Reads one imgindex generation folder with DuckDB and prints what it found as one JSON object.
// Usage: node read-generation.mjs <generation folder>
import { DuckDBInstance } from '@duckdb/node-api';

const dir = process.argv[2];
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const rows = async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJson();

const index = `read_parquet('${dir}/shard=*/*.parquet', hive_partitioning = true)`;
const result = {
  shards: await rows(`SELECT shard, count(*) AS n FROM ${index} GROUP BY shard ORDER BY shard`),
  vectors: await rows(`SELECT min(len(vector)) AS min_dim, max(len(vector)) AS max_dim,
                              min(list_sum(list_transform(vector, x -> x * x))) AS min_norm2,
                              max(list_sum(list_transform(vector, x -> x * x))) AS max_norm2 FROM ${index}`),
  columns: await rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${index})`),
  titles: await rows(`SELECT id, metadata['title'] AS title FROM ${index} ORDER BY id LIMIT 3`),
  duplicates: await rows(`SELECT id, duplicate_of, match FROM read_parquet('${dir}/duplicates/*.parquet')`),
  failures: await rows(`SELECT id, reason FROM read_parquet('${dir}/failures/*.parquet')`),
};
console.log(JSON.stringify(result));
