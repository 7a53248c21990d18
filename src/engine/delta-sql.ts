import type { DatasetDefinition } from "../definition";
import { columnList, eventRowsSql, keyHashSql, monthSql, rowHashSql } from "./hash-sql";
import { PUBLISHED_PARQUET, readParquet, sqlString } from "./sql";

/** Names of a delta's tables (qualified by the caller). */
export interface DeltaTables {
  /** Normalized source rows with `_key_hash`, `_row_hash`, `_month`, `_row`. */
  src: string;
  /** `src` without dropped duplicates. */
  live: string;
  /** The base index: `key_hash`, `row_hash`, `month`. */
  base: string;
  /** Live rows with their base entry and `_op` (`insert`, `update` or NULL for unchanged). */
  classified: string;
}

/**
 * Where the base index comes from: index files of the engine's hashing (the base files, then the
 * delta layers oldest first, SPEC §2), or (older stores) the base projection's files.
 */
export type BaseSource = { kind: "none" } | { kind: "index"; files: string[]; deltas?: string[] } | { kind: "projection"; files: string[] };

const parquetList = (files: string[]) => readParquet(files);

/** Whether the base index has delta layers over its base files. */
export function isLayered(base: BaseSource): base is { kind: "index"; files: string[]; deltas: string[] } {
  return base.kind === "index" && (base.deltas?.length ?? 0) > 0;
}

/** The columns of an index file, typed as the engine compares them. */
const INDEX_COLUMNS = "key_hash::BLOB AS key_hash, row_hash::BLOB AS row_hash, month::INTEGER AS month";

/** Index files as rows `key_hash, row_hash, month, layer` (0 for the base files, then 1, 2, … per layer). */
export function layeredRowsSql(files: string[], deltas: string[]): string {
  const parts = files.length > 0 ? [`SELECT ${INDEX_COLUMNS}, 0 AS layer FROM ${parquetList(files)}`] : [];
  deltas.forEach((d, i) => parts.push(`SELECT ${INDEX_COLUMNS}, ${i + 1} AS layer FROM ${readParquet(d)}`));
  return parts.join(" UNION ALL ");
}

/** Each key's entry in the last layer that holds it. */
export function resolvedSql(layered: string): string {
  return `SELECT key_hash, arg_max(row_hash, layer) AS row_hash, arg_max(month, layer) AS month FROM (${layered}) GROUP BY key_hash`;
}

/** Loads the normalized source with its hashes, month and 0-based row number. */
export function loadSourceSql(definition: DatasetDefinition, normalized: string, t: DeltaTables): string {
  return `CREATE TABLE ${t.src} AS SELECT ${columnList(definition)}, ${keyHashSql(definition)} AS _key_hash, ${rowHashSql(definition)} AS _row_hash, ${monthSql(definition)} AS _month, file_row_number AS _row FROM ${readParquet(normalized, "file_row_number = true")}`;
}

/**
 * Keys carried by more than one source row: the earliest-repeated first, with its first two rows and
 * its count. The repeated keys are found with a plain count per key first, so the rows of each key
 * are only listed for those (a list per key of a large source does not fit in memory).
 */
export function duplicatesSql(t: DeltaTables): string {
  const repeated = `SELECT _key_hash AS h FROM ${t.src} GROUP BY _key_hash HAVING count(*) > 1`;
  return `SELECT s._key_hash AS key_hash, count(*)::BIGINT AS n, list(s._row ORDER BY s._row)[1:2] AS pair, count(*) OVER ()::BIGINT AS keys
    FROM ${t.src} s SEMI JOIN (${repeated}) d ON d.h = s._key_hash GROUP BY s._key_hash ORDER BY pair[2] LIMIT 1`;
}

/**
 * A row when two source rows may share a key: a repeat of DuckDB's 64-bit `hash` of `_key_hash`.
 * Grouping that fixed-width value is cheaper than grouping the 16-byte hashes (bench/results/phases-*-8eac6cf.md:
 * 1.84 s against 2.84 s at 10M keys, 146 against 180 ms at 1M); no row proves every key unique, and
 * a row (a repeated key, or a 64-bit collision) is confirmed by {@link duplicatesSql} or
 * {@link repeatedKeySql}.
 */
export function mayRepeatKeySql(t: DeltaTables): string {
  return `SELECT h FROM (SELECT hash(_key_hash) AS h FROM ${t.src}) GROUP BY h HAVING count(*) > 1 LIMIT 1`;
}

/** One key carried by more than one source row, if any (`last_wins` dedupes only a source that has one: a plain count per key costs a fraction of the dedupe). */
export function repeatedKeySql(t: DeltaTables): string {
  return `SELECT _key_hash FROM ${t.src} GROUP BY _key_hash HAVING count(*) > 1 LIMIT 1`;
}

/** The live rows: all of them, or (`dedupe`, `last_wins` with a repeated key) the last row of each key. */
export function liveSql(t: DeltaTables, dedupe: boolean): string {
  if (!dedupe) return `CREATE VIEW ${t.live} AS SELECT * FROM ${t.src}`;
  return `CREATE TABLE ${t.live} AS SELECT * FROM ${t.src} QUALIFY row_number() OVER (PARTITION BY _key_hash ORDER BY _row DESC) = 1`;
}

/** The base index as a view (empty when there is no base; each key resolved over the layers when it has delta layers). */
export function baseSql(definition: DatasetDefinition, base: BaseSource, t: DeltaTables): string {
  if (base.kind === "none" || base.files.length === 0) return `CREATE VIEW ${t.base} AS SELECT NULL::BLOB AS key_hash, NULL::BLOB AS row_hash, NULL::INTEGER AS month WHERE false`;
  if (isLayered(base)) return `CREATE VIEW ${t.base} AS ${resolvedSql(layeredRowsSql(base.files, base.deltas))}`;
  if (base.kind === "index") return `CREATE VIEW ${t.base} AS SELECT ${INDEX_COLUMNS} FROM ${parquetList(base.files)}`;
  return `CREATE TABLE ${t.base} AS SELECT ${keyHashSql(definition)} AS key_hash, ${rowHashSql(definition)} AS row_hash, ${monthSql(definition)} AS month FROM ${parquetList(base.files)}`;
}

/**
 * Each live row against its base entry: `insert` (new key), `update` (other row hash or month) or
 * NULL (unchanged). A table, so the join runs once; a view when there is no base (`materialize`
 * false), where it would only copy every source row a second time. With delta layers (`layers`, from
 * {@link layeredRowsSql}) the entries of the source's keys are picked from every layer first and
 * resolved to the last, so the base files are only scanned, never regrouped.
 */
export function classifySql(t: DeltaTables, materialize = true, layers?: string): string {
  const base = layers
    ? `(SELECT b.key_hash, arg_max(b.row_hash, b.layer) AS row_hash, arg_max(b.month, b.layer) AS month FROM (${layers}) b SEMI JOIN ${t.live} s ON s._key_hash = b.key_hash GROUP BY b.key_hash)`
    : t.base;
  return `CREATE ${materialize ? "TABLE" : "VIEW"} ${t.classified} AS SELECT l.*, b.month AS _base_month,
    CASE WHEN b.key_hash IS NULL THEN 'insert' WHEN b.row_hash = l._row_hash AND b.month = l._month THEN NULL ELSE 'update' END AS _op
    FROM ${t.live} l LEFT JOIN ${base} b ON b.key_hash = l._key_hash`;
}

/** Append mode: the first source row whose key exists already, and how many do. */
export function appendConflictSql(t: DeltaTables): string {
  return `SELECT _row, count(*) OVER ()::BIGINT AS n FROM ${t.classified} WHERE _base_month IS NOT NULL ORDER BY _row LIMIT 1`;
}

/** Keys leaving a month: snapshot deletes (base keys absent from the source) and the old month of keys that moved. */
export function removalsSql(t: DeltaTables, snapshot: boolean): string {
  const moves = `SELECT _key_hash AS key_hash, _base_month AS month FROM ${t.classified} WHERE _op = 'update' AND _base_month <> _month`;
  if (!snapshot) return moves;
  return `SELECT b.key_hash, b.month FROM ${t.base} b ANTI JOIN ${t.live} l ON l._key_hash = b.key_hash UNION ALL ${moves}`;
}

/** The rows of the next index, unsorted: the live rows, plus (upsert, append) the base keys the source does not carry. */
export function nextIndexRowsSql(t: DeltaTables, snapshot: boolean): string {
  const live = `SELECT _key_hash AS key_hash, _row_hash AS row_hash, _month AS month FROM ${t.live}`;
  const kept = snapshot ? "" : ` UNION ALL SELECT b.key_hash, b.row_hash, b.month FROM ${t.base} b ANTI JOIN ${t.live} l ON l._key_hash = b.key_hash`;
  return `${live}${kept}`;
}

/**
 * A delta layer (SPEC §2), sorted by key hash: the changed keys' entries, plus the entries of the
 * parent's layers it absorbs (`merged`, from {@link layeredRowsSql}) for keys this version leaves alone.
 */
export function deltaLayerSql(t: DeltaTables, merged: string | null): string {
  const changed = `SELECT _key_hash AS key_hash, _row_hash AS row_hash, _month AS month FROM ${t.classified} WHERE _op IS NOT NULL`;
  if (!merged) return `${changed} ORDER BY key_hash`;
  const kept = `SELECT m.key_hash, m.row_hash, m.month FROM (${resolvedSql(merged)}) m ANTI JOIN (${changed}) c ON c.key_hash = m.key_hash`;
  return `SELECT * FROM (${changed} UNION ALL ${kept}) ORDER BY key_hash`;
}

/**
 * The next index sorted by key hash, from its rows staged at `rows` by {@link nextIndexRowsSql}.
 * The sort runs last, on its own: at 10M keys it needs most of a 1 GB memory limit and does not
 * spill far enough while the delta's tables hold memory.
 */
export function sortedIndexSql(rows: string): string {
  return `SELECT key_hash, row_hash, month FROM ${readParquet(rows)} ORDER BY key_hash`;
}

/** `COPY (query) TO path` as uncompressed Parquet: a file the run reads back once and deletes. */
export function stageSql(query: string, path: string): string {
  return `COPY (${query}) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION uncompressed)`;
}

/**
 * The changed rows (inserts and updates) as rows of `version`'s event file (the dataset's columns,
 * `_op`, `_key_hash`, `_version`), by month then source order: without deletes, the event file is
 * this file as it is.
 */
export function changesSql(definition: DatasetDefinition, t: DeltaTables, version: string): string {
  return eventRowsSql(definition, version, `${t.classified} WHERE _op IS NOT NULL`, "_month, _row");
}

/** Counts of a classified delta. */
export function countsSql(t: DeltaTables): string {
  return `SELECT count(*) FILTER (WHERE _op = 'insert')::BIGINT AS inserted, count(*) FILTER (WHERE _op = 'update')::BIGINT AS updated, count(*) FILTER (WHERE _op IS NULL)::BIGINT AS unchanged FROM ${t.classified}`;
}

/** `COPY (query) TO path` as Parquet with statistics; `options` default to a published file's. */
export function copySql(query: string, path: string, options = PUBLISHED_PARQUET): string {
  return `COPY (${query}) TO ${sqlString(path)} (${options})`;
}
