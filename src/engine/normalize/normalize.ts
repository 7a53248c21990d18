/**
 * Normalize on the DuckDB engine (issue 12): the same output rows, types, bad rows and typed errors
 * as `normalizeSource` + `encodeParquet`, written straight to a Parquet file. Returns null whenever
 * the source or definition is outside what the SQL expresses exactly; the caller then runs the JS
 * path.
 */
import { randomUUID } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { DatasetDefinition } from "../../definition/schema.js";
import { TidemarkError } from "../../errors.js";
import type { ReadLimits } from "../../formats/index.js";
import { count, overLimit } from "../../formats/limits.js";
import { type BadRow, BadRowsError, MAX_BAD_ROWS } from "../../normalize/errors.js";
import { SCRATCH_PARQUET, sqlIdent, sqlString } from "../sql.js";
import { duckdbType } from "./columns-sql.js";
import { csvSource, lineStats } from "./csv-facts.js";
import { BAD_ROW_SIGNAL, planNormalize, resolveColumns, unsupportedDefinition } from "./plan.js";

/** Input of {@link normalizeWithEngine}. */
export interface EngineNormalizeInput {
  /** A validated definition. */
  readonly definition: DatasetDefinition;
  /** Local path of the source file. */
  readonly sourcePath: string;
  /** Where the Parquet file goes (written under a temporary name, then renamed). */
  readonly outPath: string;
  /** The source's name in messages, e.g. "series.csv". */
  readonly fileLabel: string;
  /** The worker's size limits. */
  readonly limits?: ReadLimits;
  /** Told why the engine returns null (the caller falls back to the JS path). */
  readonly onFallback?: (reason: string) => void;
}

/** Output of {@link normalizeWithEngine}. */
export interface EngineNormalizeResult {
  /** Rows written to `outPath`. */
  readonly rows: number;
  /** Source data rows read. */
  readonly rowsRead: number;
  /** Bad cells dropped under `on_bad_rows: quarantine` (first {@link MAX_BAD_ROWS}). */
  readonly badRows: BadRow[];
  /** Distinct bad rows dropped. */
  readonly badRowCount: number;
}

/**
 * The engine failed on a source for a reason other than its bytes (a resource limit, or a bug).
 * Retryable. The DuckDB message is not kept: it may quote source content.
 */
export class EngineNormalizeError extends TidemarkError {
  override readonly retryable = true;
  constructor(fileLabel: string, err: unknown) {
    const kind = /^([A-Za-z ]+ Error):/.exec(err instanceof Error ? err.message : "")?.[1] ?? "an unknown error";
    super(`Normalizing ${fileLabel} on the DuckDB engine failed with ${kind}; retry, or report it with the source and definition.`);
  }
}

/** Whether a DuckDB error is its CSV reader refusing the bytes (the JS path then reports them exactly). */
function rejectedSource(err: unknown): boolean {
  const message = err instanceof Error ? err.message : "";
  return message.startsWith("Invalid Input Error:") && /CSV|unicode|line size/i.test(message);
}

/** Runs a COPY that writes `tmp`, then renames it to `outPath`; removes `tmp` when anything fails. */
async function writeThenRename(connection: DuckDBConnection, copy: string, tmp: string, outPath: string): Promise<void> {
  try {
    await connection.run(copy);
    await rename(tmp, outPath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

function emptyTable(def: DatasetDefinition, path: string): string {
  const cols = def.schema.columns.map((c) => `NULL::${duckdbType(c)} AS ${sqlIdent(c.name)}`).join(", ");
  return `COPY (SELECT ${cols} WHERE false) TO ${sqlString(path)} (${SCRATCH_PARQUET})`;
}

interface BadRecord {
  readonly ord: number;
  readonly cells: { reason: string | null; text: string | null }[];
}

function badRecords(rows: readonly (readonly unknown[])[], columns: number): BadRecord[] {
  return rows.map((r) => ({
    ord: Number(r[0]),
    cells: Array.from({ length: columns }, (_, j) => ({ reason: r[1 + 2 * j] as string | null, text: r[2 + 2 * j] as string | null })),
  }));
}

/**
 * The source line of data record `ord` (1-based): exact from the JS reader's first batch, and past
 * it only when every record after the header is one line (the file's LF count says so). Null when
 * a bad record lies past the first batch of a file that is not one record per line.
 */
async function lineMapping(path: string, firstLines: Int32Array, rowsRead: number, records: readonly BadRecord[]): Promise<((ord: number) => number) | null> {
  const known = firstLines.length;
  if (records.every((r) => r.ord <= known)) return (ord) => firstLines[ord - 1];
  const stats = await lineStats(path);
  const first = firstLines[0];
  if (stats.lf !== first - 1 + rowsRead - (stats.endsWithLf ? 0 : 1)) return null;
  return (ord) => first + ord - 1;
}

/**
 * Normalizes a local CSV with DuckDB into scratch Parquet at `outPath`. Throws the JS path's typed
 * errors (`SourceFormatError` from the header, `MissingColumnError`, `AmbiguousColumnError`,
 * `LimitExceededError`, `BadRowsError` under `on_bad_rows: fail`); writes nothing when it throws.
 * Returns null when the engine cannot reproduce the JS path exactly, including whenever DuckDB
 * rejects the bytes (the JS path then gives the exact error).
 */
export async function normalizeWithEngine(connection: DuckDBConnection, req: EngineNormalizeInput): Promise<EngineNormalizeResult | null> {
  const { definition: def, fileLabel: label } = req;
  const fallback = (reason: string): null => {
    req.onFallback?.(reason);
    return null;
  };
  const tmp = `${req.outPath}.${randomUUID()}.tmp`;
  const why = unsupportedDefinition(def);
  if (why !== null) return fallback(why);
  const source = await csvSource(def, req.sourcePath, label, req.limits);
  if ("unsupported" in source) return fallback(source.unsupported);
  if (source.firstLine === undefined) {
    resolveColumns(def, source.facts.names, label);
    await writeThenRename(connection, emptyTable(def, tmp), tmp, req.outPath);
    return { rows: 0, rowsRead: 0, badRows: [], badRowCount: 0 };
  }
  const plan = planNormalize(def, req.sourcePath, tmp, source.facts, { fileLabel: label });
  if ("unsupported" in plan) return fallback(plan.unsupported);
  /** Rows of `sql`, null when DuckDB's reader refused the bytes; `signalled` answers a bad row's signal (only `copyClean` raises it). */
  const run = async <S = never>(sql: string, signalled?: () => S) => {
    try {
      return (await connection.runAndReadAll(sql)).getRows();
    } catch (err) {
      if (rejectedSource(err)) return null;
      if (signalled && err instanceof Error && err.message.includes(BAD_ROW_SIGNAL)) return signalled();
      throw new EngineNormalizeError(label, err);
    }
  };
  const checkRows = (rows: number) => {
    if (req.limits?.rows !== undefined && rows > req.limits.rows) throw overLimit(label, `has more than ${count(req.limits.rows)} rows`, "TIDEMARK_MAX_ROWS");
  };
  const clean = await run(plan.copyClean, () => "bad" as const);
  if (clean === null) return fallback("DuckDB rejected the source bytes");
  if (clean !== "bad") {
    const rows = Number(clean[0][0]);
    try {
      checkRows(rows);
      await rename(tmp, req.outPath);
      return { rows, rowsRead: rows, badRows: [], badRowCount: 0 };
    } finally {
      await rm(tmp, { force: true });
    }
  }
  const counted = await run(plan.count);
  if (counted === null) return fallback("DuckDB rejected the source bytes");
  let rowsRead = Number(counted[0][0]);
  checkRows(rowsRead);
  try {
    const copied = await run(plan.copy);
    if (copied === null) return fallback("DuckDB rejected the source bytes");
    const written = Number(copied[0][0]);
    const badRows: BadRow[] = [];
    let badRowCount = 0;
    if (written !== rowsRead) {
      const summarized = await run(plan.summary);
      if (summarized === null) return fallback("DuckDB rejected the source bytes");
      const summary = summarized[0];
      rowsRead = Number(summary[0]);
      badRowCount = Number(summary[1]);
      if (rowsRead - badRowCount !== written) return fallback("DuckDB counted the rows differently in two passes");
      const listed = await run(plan.badRows);
      if (listed === null) return fallback("DuckDB rejected the source bytes");
      const records = badRecords(listed, def.schema.columns.length);
      const lineOf = await lineMapping(req.sourcePath, source.firstLines, rowsRead, records);
      if (lineOf === null) return fallback("bad rows past the first batch in a file whose records do not map one-to-one onto lines");
      const names = def.schema.columns.map((c) => c.name);
      for (const rec of records) {
        for (let j = 0; j < names.length && badRows.length < MAX_BAD_ROWS; j++) {
          const cell = rec.cells[j];
          if (cell.reason !== null) badRows.push({ row: lineOf(rec.ord), column: names[j], value: cell.text, reason: cell.reason });
        }
      }
      if (def.on_bad_rows === "fail") throw new BadRowsError(label, badRows, badRowCount);
    }
    await rename(tmp, req.outPath);
    return { rows: written, rowsRead, badRows, badRowCount };
  } finally {
    await rm(tmp, { force: true });
  }
}
