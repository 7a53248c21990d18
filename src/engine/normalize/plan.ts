/**
 * The normalize step as DuckDB SQL (issue 12): read the source with every cell as text, cast each
 * column exactly as the JS normalizer does (src/normalize), keep the bad cells' reasons, and write
 * the good rows in source order as the run's scratch Parquet. Anything the SQL cannot express exactly is an
 * `unsupported` reason, and the caller falls back to `normalizeSource`. Pure.
 */
import type { DatasetDefinition } from "../../definition/schema.js";
import { AmbiguousColumnError, MAX_BAD_ROWS, MissingColumnError } from "../../normalize/errors.js";
import { SCRATCH_PARQUET, sqlIdent, sqlString } from "../sql.js";
import { columnSql, trimSql } from "./columns-sql.js";

/** What the caller learned from the source's first bytes (with the JS reader) that the SQL needs. */
export interface CsvFacts {
  /** The header's column names as the JS reader reads them ("1", "2"… without a header). */
  readonly names: readonly string[];
  /** Records before the first data row (skipped lines, header), each a complete one-line record. */
  readonly skip: number;
  /** DuckDB `max_line_size`: at most the JS record limit minus the longest line break. */
  readonly maxLineSize: number;
}

/** Options of {@link planNormalize}. */
export interface PlanOptions {
  /** The source's name in messages. */
  readonly fileLabel: string;
}

/** The statements of one engine normalize, run in order by `normalizeWithEngine`. */
export interface NormalizePlan {
  /** One row: the number of source records. */
  readonly count: string;
  /**
   * Writes the good rows, columns exactly `schema.columns`, in source order; one row: the count
   * written. The source is read in parallel and nothing is sorted: a `COPY` of one table function
   * through projections and filters keeps its input order under the engine's
   * `preserve_insertion_order` (numbering the records on one thread and sorting by that number held
   * the whole source in memory: ~950 MB of buffers and ~1.6 GB of worker RSS at 10M rows).
   */
  readonly copy: string;
  /** One row: `rows_read`, `bad_rows` (run only when the copy wrote fewer rows than `count`). */
  readonly summary: string;
  /** The first bad rows in source order: `__ord` (1-based data record), then `r<j>` (reason) and `e<j>` (bad text) per column. */
  readonly badRows: string;
  /**
   * {@link copy} for a source without bad rows: fails with {@link BAD_ROW_SIGNAL} at the first bad
   * row instead of leaving it out, so the count it writes is the source's and no counting pass runs
   * first (a `LIMIT` to stop past the row limit made the copy slower: 709–833 against 535–570 ms
   * at 1M rows).
   */
  readonly copyClean: string;
}

/** The error a {@link NormalizePlan.copyClean} fails with on a bad row (the caller then takes the counting path). */
export const BAD_ROW_SIGNAL = "tidemark-normalize-bad-row";

/** Why a definition cannot be normalized by the engine exactly like the JS path. */
export interface Unsupported {
  readonly unsupported: string;
}

/** A value no cell can equal: DuckDB turns it into NULL, and `coalesce` turns it back. */
const NULL_MARK = "\u0001";

/** The reasons a definition is outside the engine path, before the source is looked at; null when none. */
export function unsupportedDefinition(def: DatasetDefinition): string | null {
  const o = def.source.options;
  if (def.source.format !== "csv") return `format ${def.source.format} is not read by the engine yet`;
  if (o.encoding !== "utf-8") return `encoding ${o.encoding} is not one DuckDB reads`;
  if (def.unpivot !== undefined) return "unpivot is not expressed in SQL yet";
  if (o.escape !== undefined && o.escape !== o.quote) return "an escape character other than the quote (DuckDB does not also accept doubled quotes then)";
  if (o.comment !== undefined) return "comment lines (DuckDB also cuts comments in the middle of a line)";
  if (o.delimiter === o.quote || /[\r\n]/.test(o.delimiter + o.quote)) return "the delimiter equals the quote or is a line break";
  for (const c of def.schema.columns) {
    const r = columnSql(def, c);
    if ("unsupported" in r) return r.unsupported;
  }
  return null;
}

/**
 * Maps each `schema.columns` entry to its source column index, throwing the JS path's
 * {@link MissingColumnError} / {@link AmbiguousColumnError} for the first column that is missing or
 * named more than once.
 */
export function resolveColumns(def: DatasetDefinition, names: readonly string[], fileLabel: string): number[] {
  return def.schema.columns.map((c, j) => {
    const at = names.indexOf(c.from);
    if (at < 0) throw new MissingColumnError(fileLabel, c.from, names, `schema.columns[${j}]${c.from === c.name ? "" : ".from"}`);
    if (names.indexOf(c.from, at + 1) >= 0) {
      throw new AmbiguousColumnError(fileLabel, c.from, names.flatMap((n, k) => (n === c.from ? [k + 1] : [])));
    }
    return at;
  });
}

/** The `read_csv` call reading every field of `path` as text, after `facts.skip` records; `parallel` false keeps records in file order. */
export function readCsvSql(def: DatasetDefinition, path: string, facts: CsvFacts, parallel: boolean): string {
  const o = def.source.options;
  const columns = facts.names.map((_, i) => `${sqlString(`c${i}`)}: 'VARCHAR'`).join(", ");
  return (
    `read_csv(${sqlString(path)}, header = false, auto_detect = false, columns = {${columns}}, ` +
    `delim = ${sqlString(o.delimiter)}, quote = ${sqlString(o.quote)}, escape = ${sqlString(o.quote)}, ` +
    `skip = ${facts.skip}, nullstr = ${sqlString(NULL_MARK)}, allow_quoted_nulls = false, strict_mode = true, ` +
    `ignore_errors = false, null_padding = false, encoding = 'utf-8', compression = 'none', ` +
    `max_line_size = ${facts.maxLineSize}, parallel = ${parallel}, hive_partitioning = false)`
  );
}

/**
 * Plans normalizing the CSV at `sourcePath` into Parquet at `outPath`, or says why it cannot be
 * done exactly like the JS path. Throws the JS path's typed errors for missing or ambiguous columns.
 */
export function planNormalize(def: DatasetDefinition, sourcePath: string, outPath: string, facts: CsvFacts, options: PlanOptions): NormalizePlan | Unsupported {
  const why = unsupportedDefinition(def);
  if (why !== null) return { unsupported: why };
  const index = resolveColumns(def, facts.names, options.fileLabel);
  const columns = def.schema.columns.map((column) => {
    const c = columnSql(def, column);
    if ("unsupported" in c) throw new Error(c.unsupported);
    return c;
  });
  const each = (f: (j: number) => string) => columns.map((_, j) => f(j)).join(", ");
  const staged = (ordered: boolean, reasons = true): string => {
    const ord = ordered ? "row_number() OVER ()" : "0";
    const read = `SELECT ${ord} AS __ord, ${each((j) => `${trimSql(def.schema.columns[j], `coalesce(c${index[j]}, ${sqlString(NULL_MARK)})`)} AS t${j}`)} FROM ${readCsvSql(def, sourcePath, facts, !ordered)}`;
    const nulls = `SELECT __ord, ${each((j) => `t${j}, ${columns[j].isNull(`t${j}`)} AS n${j}`)} FROM (${read})`;
    const parsed = `SELECT __ord, ${each((j) => `t${j}, n${j}, CASE WHEN n${j} THEN NULL ELSE ${columns[j].parse(`t${j}`)} END AS p${j}`)} FROM (${nulls})`;
    const typed = `SELECT __ord, ${each((j) => `t${j}, n${j}, p${j}, ${columns[j].value(`p${j}`)} AS v${j}`)} FROM (${parsed})`;
    if (!reasons) return `SELECT __ord, ${each((j) => `v${j}`)}, ${columns.map((c, j) => c.bad(`n${j}`, `v${j}`)).join(" OR ")} AS bad FROM (${typed})`;
    return `SELECT __ord, ${each((j) => `v${j}, ${columns[j].reason(`t${j}`, `p${j}`, `n${j}`, `v${j}`)} AS r${j}, CASE WHEN NOT n${j} AND ${columns[j].bad(`n${j}`, `v${j}`)} THEN t${j} END AS e${j}`)} FROM (${typed})`;
  };
  const bad = def.schema.columns.map((_, j) => `r${j} IS NOT NULL`).join(" OR ");
  const out = def.schema.columns.map((c, j) => `v${j} AS ${sqlIdent(c.name)}`).join(", ");
  return {
    count: `SELECT count(*) FROM ${readCsvSql(def, sourcePath, facts, true)}`,
    copy: `COPY (SELECT ${out} FROM (${staged(false, false)}) WHERE NOT bad) TO ${sqlString(outPath)} (${SCRATCH_PARQUET})`,
    copyClean: `COPY (SELECT ${out} FROM (${staged(false, false)}) WHERE CASE WHEN bad THEN error(${sqlString(BAD_ROW_SIGNAL)}) ELSE true END) TO ${sqlString(outPath)} (${SCRATCH_PARQUET})`,
    summary: `SELECT count(*) AS rows_read, count(*) FILTER (WHERE ${bad}) AS bad_rows FROM (${staged(false)})`,
    badRows: `SELECT __ord, ${each((j) => `r${j}, e${j}`)} FROM (${staged(true)}) WHERE ${bad} ORDER BY __ord LIMIT ${MAX_BAD_ROWS}`,
  };
}
