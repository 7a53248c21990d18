import { sqlStringList } from "./sql";

/** Names of the tables of an index check (qualified by the caller). */
export interface IndexCheckTables {
  /** The expected index: the fold of every event of the chain. */
  expected: string;
  /** The index files as recorded. */
  actual: string;
}

/** The recorded index files as a table. */
export function actualIndexSql(indexFiles: string[], t: IndexCheckTables): string {
  return `CREATE TABLE ${t.actual} AS SELECT key_hash::BLOB AS k, row_hash::BLOB AS r, month::INTEGER AS m FROM read_parquet(${sqlStringList(indexFiles)})`;
}

/** Counts comparing the two: expected size, matched, wrong (other row hash or month), extra and duplicated keys of the index. */
export function compareIndexSql(t: IndexCheckTables): string {
  return `SELECT
    (SELECT count(*) FROM ${t.expected})::BIGINT AS expected,
    (SELECT count(*) - count(DISTINCT k) FROM ${t.actual})::BIGINT AS duplicates,
    (SELECT count(*) FROM (SELECT DISTINCT ON (k) * FROM ${t.actual}) a JOIN ${t.expected} e ON e.k = a.k WHERE e.r = a.r AND e.m = a.m)::BIGINT AS matched,
    (SELECT count(*) FROM (SELECT DISTINCT ON (k) * FROM ${t.actual}) a JOIN ${t.expected} e ON e.k = a.k WHERE e.r <> a.r OR e.m <> a.m)::BIGINT AS wrong,
    (SELECT count(DISTINCT k) FROM ${t.actual} a WHERE NOT EXISTS (SELECT 1 FROM ${t.expected} e WHERE e.k = a.k))::BIGINT AS extra`;
}
