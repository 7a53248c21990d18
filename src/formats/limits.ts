/** Shape limits checked at the reader boundary, batch by batch, while a source streams. Pure. */
import { LimitExceededError } from "../errors.js";
import type { RawBatch } from "./types.js";

/** Limits a reader enforces; each is a maximum, and an absent one is not checked. */
export interface ReadLimits {
  /** Data rows in the whole source (`TIDEMARK_MAX_ROWS`). */
  readonly rows?: number;
  /** Columns of the source (`TIDEMARK_MAX_COLUMNS`). */
  readonly columns?: number;
  /** Bytes of one CSV record, NDJSON line or JSON record (`TIDEMARK_MAX_ROW_BYTES`). */
  readonly rowBytes?: number;
  /** Nesting depth of JSON and NDJSON (`TIDEMARK_MAX_JSON_DEPTH`). */
  readonly jsonDepth?: number;
  /** Cells (rows × columns) of an XLSX sheet (`TIDEMARK_MAX_XLSX_CELLS`). */
  readonly xlsxCells?: number;
  /** Uncompressed bytes of a Parquet source's column data or of an XLSX workbook's XML parts (`TIDEMARK_MAX_DECOMPRESSED_BYTES`). */
  readonly decompressedBytes?: number;
}

/** Formats a count for messages (1,000,000). */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** The error of a source over the limit in `variable`; `what` says what was over it, e.g. "has more than 1,000 rows". */
export function overLimit(label: string, what: string, variable: string): LimitExceededError {
  return new LimitExceededError(variable, `${label} ${what}, over the limit set by ${variable}; shrink the source or raise ${variable} on the worker.`);
}

/** Passes batches through, failing as soon as the rows, columns or (for XLSX) cells read so far are over a limit. */
export async function* limitBatches(batches: AsyncIterable<RawBatch>, limits: ReadLimits, label: string, xlsx: boolean): AsyncGenerator<RawBatch> {
  let rows = 0;
  let cells = 0;
  for await (const batch of batches) {
    if (limits.columns !== undefined && batch.names.length > limits.columns) throw overLimit(label, `has ${count(batch.names.length)} columns (at most ${count(limits.columns)})`, "TIDEMARK_MAX_COLUMNS");
    rows += batch.length;
    if (limits.rows !== undefined && rows > limits.rows) throw overLimit(label, `has more than ${count(limits.rows)} rows`, "TIDEMARK_MAX_ROWS");
    cells += batch.length * batch.names.length;
    if (xlsx && limits.xlsxCells !== undefined && cells > limits.xlsxCells) throw overLimit(label, `has more than ${count(limits.xlsxCells)} cells`, "TIDEMARK_MAX_XLSX_CELLS");
    yield batch;
  }
}

/**
 * The deepest nesting of `[`/`{` in JSON `text`, stopping as soon as it passes `limit` (so a
 * pathological line is never parsed recursively).
 */
export function jsonDepthOver(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > limit) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}
