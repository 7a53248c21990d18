/** Errors and reports of the normalize step. */
import { TidemarkError } from "../errors.js";
import { redact } from "../observability/redact.js";

/** A row that could not be normalized. */
export interface BadRow {
  /** 1-based source row (CSV/NDJSON line, sheet row, JSON record, Parquet row). */
  readonly row: number;
  /** Output column whose cell failed, or null for a row-level problem (wrong field count). */
  readonly column: string | null;
  /** The offending cell text (trimmed), or null when the cell is empty. */
  readonly value: string | null;
  /** Why, as a clause: "not a number", "not allowed in a key column"… */
  readonly reason: string;
}

/** Most bad rows kept in memory, reports and errors; `count` still counts all. */
export const MAX_BAD_ROWS = 1000;

/** Longest excerpt of source text (a cell, a column name) an error message carries. */
export const MAX_EXCERPT = 32;

/** Most column names an error message lists (never a whole header line). */
export const MAX_LISTED_COLUMNS = 8;

/** A short, redacted, quoted excerpt of source text for an error message. */
export function excerpt(value: string): string {
  const clean = redact(value);
  return JSON.stringify(clean.length > MAX_EXCERPT ? `${clean.slice(0, MAX_EXCERPT - 3)}...` : clean);
}

function quote(value: string): string {
  return excerpt(value);
}

/** One clause describing a bad row, e.g. `column "value" is "12,5x", which is not a number`. */
export function describeBadRow(b: BadRow): string {
  if (b.column === null) return `the row ${b.reason}`;
  return `column "${b.column}" is ${b.value === null ? "empty" : quote(b.value)}, which is ${b.reason}`;
}

/**
 * The source has bad rows and the dataset's policy is `on_bad_rows: fail`.
 * Permanent: the same bytes fail the same way. `rows` holds the first
 * {@link MAX_BAD_ROWS}; `count` all of them.
 */
export class BadRowsError extends TidemarkError {
  constructor(
    readonly fileLabel: string,
    readonly rows: readonly BadRow[],
    readonly count: number,
  ) {
    const first = rows[0];
    const more = count - 1;
    const tail = more > 0 ? `; ${more} more bad row${more === 1 ? "" : "s"}` : "";
    super(`${fileLabel} row ${first.row}: ${describeBadRow(first)}${tail} — fix the source or set on_bad_rows: quarantine.`);
  }
}

/** A column the definition reads is not in the source. Permanent. */
export class MissingColumnError extends TidemarkError {
  constructor(
    readonly fileLabel: string,
    readonly column: string,
    readonly found: readonly string[],
    readonly referencedBy: string,
  ) {
    const more = found.length > MAX_LISTED_COLUMNS ? ` and ${found.length - MAX_LISTED_COLUMNS} more` : "";
    const list = found.length === 0 ? "none" : `${found.slice(0, MAX_LISTED_COLUMNS).map(excerpt).join(", ")}${more}`;
    super(`${fileLabel} has no column ${excerpt(column)} (read by ${referencedBy}); the columns found are ${list} — fix the definition or the source.`);
  }
}

/** The source header names a column the definition reads more than once, so the cells are ambiguous. Permanent. */
export class AmbiguousColumnError extends TidemarkError {
  constructor(
    readonly fileLabel: string,
    readonly column: string,
    positions: readonly number[],
  ) {
    super(`${fileLabel} has the column ${excerpt(column)} ${positions.length} times (positions ${positions.slice(0, MAX_LISTED_COLUMNS).join(", ")}${positions.length > MAX_LISTED_COLUMNS ? ", …" : ""}); rename the duplicates in the source so the definition can tell them apart.`);
  }
}
