import { layeredRowsSql } from "./delta-sql";

/** Names of the tables of an index check (qualified by the caller). */
export interface IndexCheckTables {
  /** The expected index: the fold of every event of the chain. */
  expected: string;
  /** The index files as recorded. */
  actual: string;
}

/** The recorded index files as a table, each row with its layer (0 for the base files, SPEC §2). */
export function actualIndexSql(index: { files: string[]; deltas: string[] }, t: IndexCheckTables): string {
  return `CREATE TABLE ${t.actual} AS SELECT key_hash AS k, row_hash AS r, month AS m, layer FROM (${layeredRowsSql(index.files, index.deltas)})`;
}

/**
 * Counts comparing the two: expected size, matched, wrong (other row hash or month), extra and
 * duplicated keys of the index. A key in several layers is resolved to its last layer; a key twice
 * in one layer (or in two base files) is a duplicate.
 */
export function compareIndexSql(t: IndexCheckTables): string {
  const resolved = `(SELECT DISTINCT ON (k) * FROM ${t.actual} ORDER BY k, layer DESC)`;
  return `SELECT
    (SELECT count(*) FROM ${t.expected})::BIGINT AS expected,
    (SELECT count(*) - count(DISTINCT (k, layer)) FROM ${t.actual})::BIGINT AS duplicates,
    (SELECT count(*) FROM ${resolved} a JOIN ${t.expected} e ON e.k = a.k WHERE e.r = a.r AND e.m = a.m)::BIGINT AS matched,
    (SELECT count(*) FROM ${resolved} a JOIN ${t.expected} e ON e.k = a.k WHERE e.r <> a.r OR e.m <> a.m)::BIGINT AS wrong,
    (SELECT count(DISTINCT k) FROM ${t.actual} a WHERE NOT EXISTS (SELECT 1 FROM ${t.expected} e WHERE e.k = a.k))::BIGINT AS extra`;
}
