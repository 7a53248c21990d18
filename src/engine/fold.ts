import type { DatasetDefinition } from "../definition";
import type { PartitionBy } from "../definition/partition";
import { chunksOf, STATEMENTS_PER_CALL } from "./batches";
import { schemaOfFiles } from "./index-check";
import { columnList, HASHING, type HashScheme, keyHashSql, keyList, monthSql, rowHashSql } from "./hash-sql";
import { INDEX_PARQUET, PUBLISHED_PARQUET, readParquet, sqlString } from "./sql";
import type { EngineTask } from "./task";

/** The schema fields of a version manifest the fold needs. */
export interface FoldSchema {
  columns: { name: string }[];
  key: string[];
  partition_by: PartitionBy;
}

/** An event file of the chain, local, with the version and the partition its manifest records (null: a version's single file, whose rows carry their partition). */
export interface EventInput {
  path: string;
  month: number | null;
  version: string;
}

/** A projection file of the current version (a month may have several), local. */
export interface ProjectionInput {
  name: string;
  month: number;
  path: string;
}

/** How a projection month file differs from the fold of its month's events. */
export interface MonthDifferences {
  missing: number;
  extra: number;
  wrong: number;
  duplicates: number;
  elsewhere: number;
  /** Keys found in more than one file of the month (a key lives in exactly one). */
  split: number;
}

const values = (rows: string[]) => (rows.length === 0 ? "" : `VALUES ${rows.join(", ")}`);

/**
 * Loads the events of a chain and folds them per month (SPEC §5; a row's month is its file's, or, in
 * a version's single event file, its partition column's): per month and key, the last event
 * by version, where within a version an insert or update wins over the delete of a key moving
 * between months; a key is live in a month when that event is not a delete. Hashes are recomputed
 * from the rows under `scheme` (any hashing the files were written under folds alike). Creates the
 * task tables `events` and `live` (the dataset's columns, `_k`, `_r`, `_m`); returns the hashing view
 * of the schema.
 */
export async function foldEvents(task: EngineTask, schema: FoldSchema, events: EventInput[], scheme: HashScheme = HASHING): Promise<DatasetDefinition> {
  const live = task.table("live");
  if (events.length === 0) {
    await task.exec(`CREATE TABLE ${live} AS SELECT NULL::BLOB AS _k, NULL::BLOB AS _r, NULL::INTEGER AS _m WHERE false`);
    return { schema } as unknown as DatasetDefinition;
  }
  const files = task.table("event_files");
  await task.exec(`CREATE TABLE ${files} (path VARCHAR, m INTEGER, v VARCHAR)`);
  await task.exec(`INSERT INTO ${files} ${values(events.map((e) => `(${sqlString(e.path)}, ${e.month ?? "NULL"}, ${sqlString(e.version)})`))}`);
  const definition = await schemaOfFiles(task, events.map((e) => e.path), schema);
  const source = `SELECT ${columnList(definition, "e.")}, ${keyHashSql(definition, "e.", scheme)} AS _k, ${rowHashSql(definition, "e.", scheme)} AS _r, coalesce(f.m, ${monthSql(definition, "e.")}) AS _m, f.v AS _v, e._op AS _op
    FROM ${readParquet(events.map((e) => e.path), "union_by_name = true, filename = '_file'")} e JOIN ${files} f ON f.path = e._file`;
  await task.exec(`CREATE TABLE ${live} AS SELECT * EXCLUDE (_v, _op) FROM (${source}) QUALIFY row_number() OVER (PARTITION BY _m, _k ORDER BY _v DESC, (_op <> 'delete') DESC) = 1 AND _op <> 'delete'`);
  return definition;
}

/** The partitions (numbers, ascending) the rows of an event file fall in, from their partition column. */
export async function partitionsOf(task: EngineTask, definition: DatasetDefinition, path: string): Promise<number[]> {
  const rows = await task.rows<{ m: number }>(`SELECT DISTINCT ${monthSql(definition)} AS m FROM ${readParquet(path)} ORDER BY m`);
  return rows.map((r) => Number(r.m));
}

/** Live keys per month of the fold. */
export async function liveByMonth(task: EngineTask): Promise<Map<number, number>> {
  const rows = await task.rows<{ m: number; n: number }>(`SELECT _m AS m, count(*)::BIGINT AS n FROM ${task.table("live")} GROUP BY _m`);
  return new Map(rows.map((r) => [Number(r.m), Number(r.n)]));
}

/** Keys the fold leaves live in more than one month: each later month with the key's hex. */
export async function keysInTwoMonths(task: EngineTask, limit: number): Promise<{ month: number; key: string }[]> {
  const rows = await task.rows<{ m: number; key: string }>(
    `SELECT _m AS m, lower(hex(_k)) AS key FROM ${task.table("live")} QUALIFY row_number() OVER (PARTITION BY _k ORDER BY _m) > 1 ORDER BY m, key LIMIT ${limit}`,
  );
  return rows.map((r) => ({ month: Number(r.m), key: r.key }));
}

/**
 * Compares projection months (the union of each month's files) with the fold, per month: keys of
 * the month missing, keys not live in it, keys with another row hash, keys twice in the month, keys
 * in more than one file of the month, keys also in an earlier month of the same projection. Hashes
 * are computed under `scheme`, the fold's.
 */
export async function compareProjections(task: EngineTask, definition: DatasetDefinition, files: ProjectionInput[], scheme: HashScheme = HASHING): Promise<Map<string, MonthDifferences>> {
  const out = new Map<string, MonthDifferences>();
  if (files.length === 0) return out;
  const map = task.table("projection_files");
  const rows = task.table("projection_rows");
  const live = task.table("live");
  await task.exec(`CREATE TABLE ${map} (path VARCHAR, name VARCHAR, m INTEGER)`);
  await task.exec(`INSERT INTO ${map} ${values(files.map((f) => `(${sqlString(f.path)}, ${sqlString(f.name)}, ${f.month})`))}`);
  await task.exec(
    `CREATE TABLE ${rows} AS SELECT f.name, f.m, f.path, ${keyHashSql(definition, "p.", scheme)} AS k, ${rowHashSql(definition, "p.", scheme)} AS r
     FROM ${readParquet(files.map((f) => f.path), "union_by_name = true, filename = '_file'")} p JOIN ${map} f ON f.path = p._file`,
  );
  const stats = await task.rows<{ name: string; m: number; total: number; distinct_keys: number; matched: number; wrong: number; extra: number; elsewhere: number; expected: number; split: number }>(`
    WITH d AS (SELECT DISTINCT ON (name, m, k) name, m, k, r FROM ${rows}),
    first_month AS (SELECT name, k, min(m) AS m0 FROM d GROUP BY name, k)
    SELECT f.name, f.m,
      (SELECT count(*) FROM ${rows} x WHERE x.name = f.name AND x.m = f.m)::BIGINT AS total,
      (SELECT count(*) FROM d WHERE d.name = f.name AND d.m = f.m)::BIGINT AS distinct_keys,
      (SELECT count(*) FROM d JOIN ${live} l ON l._k = d.k AND l._m = d.m WHERE d.name = f.name AND d.m = f.m AND l._r = d.r)::BIGINT AS matched,
      (SELECT count(*) FROM d JOIN ${live} l ON l._k = d.k AND l._m = d.m WHERE d.name = f.name AND d.m = f.m AND l._r <> d.r)::BIGINT AS wrong,
      (SELECT count(*) FROM d WHERE d.name = f.name AND d.m = f.m AND NOT EXISTS (SELECT 1 FROM ${live} l WHERE l._k = d.k AND l._m = d.m))::BIGINT AS extra,
      (SELECT count(*) FROM d JOIN first_month fm ON fm.name = d.name AND fm.k = d.k WHERE d.name = f.name AND d.m = f.m AND fm.m0 < d.m)::BIGINT AS elsewhere,
      (SELECT count(*) FROM ${live} l WHERE l._m = f.m)::BIGINT AS expected,
      (SELECT count(*) FROM (SELECT k FROM ${rows} x WHERE x.name = f.name AND x.m = f.m GROUP BY k HAVING count(DISTINCT x.path) > 1))::BIGINT AS split
    FROM (SELECT DISTINCT name, m FROM ${map}) f`);
  for (const s of stats) {
    const matched = Number(s.matched);
    const wrong = Number(s.wrong);
    out.set(`${s.name}/${s.m}`, {
      missing: Math.max(0, Number(s.expected) - matched - wrong),
      extra: Number(s.extra),
      wrong,
      duplicates: Number(s.total) - Number(s.distinct_keys),
      elsewhere: Number(s.elsewhere),
      split: Number(s.split),
    });
  }
  return out;
}

/** Writes the fold as projection month files (sorted by key) and an index (sorted by key hash); returns rows per month. */
export async function writeFold(task: EngineTask, definition: DatasetDefinition, out: { index: string; month: (m: number) => string }): Promise<{ months: Map<number, number>; rows: number }> {
  const live = task.table("live");
  const state = task.table("state");
  await task.exec(`CREATE TABLE ${state} AS SELECT * FROM (SELECT DISTINCT ON (_k) * FROM ${live} ORDER BY _k, _m) ORDER BY _m, ${keyList(definition)}`);
  await task.exec(`COPY (SELECT _k AS key_hash, _r AS row_hash, _m AS month FROM ${state} ORDER BY _k) TO ${sqlString(out.index)} (${INDEX_PARQUET})`);
  const months = await task.rows<{ m: number; n: number }>(`SELECT _m AS m, count(*)::BIGINT AS n FROM ${state} GROUP BY _m ORDER BY m`);
  const copy = (m: number) => `COPY (SELECT ${columnList(definition)} FROM ${state} WHERE _m = ${m} ORDER BY ${keyList(definition)}) TO ${sqlString(out.month(m))} (${PUBLISHED_PARQUET})`;
  await task.each(chunksOf(months, STATEMENTS_PER_CALL), (chunk, run) => run(chunk.map((row) => copy(Number(row.m))).join(";\n")));
  const byMonth = new Map(months.map((r) => [Number(r.m), Number(r.n)]));
  return { months: byMonth, rows: [...byMonth.values()].reduce((a, b) => a + b, 0) };
}
