/**
 * Raw batches: what every format reader yields before any cast. Cells stay as the
 * source wrote them (text for CSV, native values for JSON, XLSX and Parquet) and
 * every row carries its source row number for error messages.
 */

import { JsonNumber, jsonText } from "./json-number.js";

/** Turns a byte range of a buffer into a string (UTF-8 or windows-1252). */
export type ByteDecoder = (buf: Buffer, start: number, end: number) => string;

/** Decodes UTF-8 byte ranges. */
export const utf8Decoder: ByteDecoder = (buf, start, end) => buf.toString("utf8", start, end);

const CP1252_HIGH = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ";

/** Decodes windows-1252 (what "latin1" means in practice, as in WHATWG encodings). */
export const cp1252Decoder: ByteDecoder = (buf, start, end) => {
  const text = buf.toString("latin1", start, end);
  for (let i = start; i < end; i++) {
    if (buf[i] >= 0x80 && buf[i] < 0xa0) return text.replace(/[\u0080-\u009f]/g, (ch) => CP1252_HIGH[ch.charCodeAt(0) - 0x80]);
  }
  return text;
};

/** One column of a raw batch. */
export interface RawColumn {
  /** Number of rows. */
  readonly length: number;
  /** The cell as text, or `null` when the row has no such cell (JSON `null`, missing key, empty sheet cell). */
  text(i: number): string | null;
  /** The cell's native value: a string for CSV, a JSON value, an XLSX value (number, string, boolean, Date), a Parquet value. */
  value(i: number): unknown;
}

/**
 * A CSV column: byte ranges into one shared buffer, no strings created until asked.
 * `cells` holds `[start, end)` pairs row-major with `stride` ints per row; a start
 * of -1 marks a missing field. Fields whose text differs from their bytes (escaped
 * quotes) are in `overrides`, keyed by row.
 */
export class TextColumn implements RawColumn {
  constructor(
    readonly buf: Buffer,
    readonly cells: Int32Array,
    readonly stride: number,
    readonly offset: number,
    readonly length: number,
    readonly decode: ByteDecoder,
    readonly overrides: ReadonlyMap<number, string> | undefined,
  ) {}

  /** Start byte of row `i`'s cell, or -1 when the field is missing. */
  start(i: number): number {
    return this.cells[i * this.stride + this.offset];
  }

  /** End byte (exclusive) of row `i`'s cell. */
  end(i: number): number {
    return this.cells[i * this.stride + this.offset + 1];
  }

  text(i: number): string | null {
    const k = i * this.stride + this.offset;
    const s = this.cells[k];
    if (s < 0) return null;
    if (this.overrides !== undefined) {
      const o = this.overrides.get(i);
      if (o !== undefined) return o;
    }
    return this.decode(this.buf, s, this.cells[k + 1]);
  }

  value(i: number): unknown {
    return this.text(i);
  }
}

/**
 * A timestamp read with its exact microseconds since the epoch (a Parquet TIMESTAMP of any unit,
 * nanoseconds floored). As a Date it is the millisecond the instant falls in (floored, so an instant
 * before 1970 does not move later); the timestamp cast reads {@link ExactTimestamp.micros}.
 */
export class ExactTimestamp extends Date {
  constructor(readonly micros: bigint) {
    super(Number(floorDiv(micros, 1000n)));
  }
}

/** `a / b` rounded toward negative infinity (`b` > 0). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

/** A column of native values; `null` and `undefined` are missing cells. */
export class ValueColumn implements RawColumn {
  constructor(readonly values: ArrayLike<unknown>) {}

  get length(): number {
    return this.values.length;
  }

  text(i: number): string | null {
    const v = this.values[i];
    if (v == null) return null;
    if (typeof v === "string") return v;
    if (v instanceof Date) return v.toISOString();
    if (v instanceof JsonNumber) return v.text;
    if (typeof v === "object") return jsonText(v);
    return String(v);
  }

  value(i: number): unknown {
    const v = this.values[i];
    return v === undefined ? null : v;
  }
}

/** A problem confined to one row that the reader could still delimit (e.g. a wrong field count). */
export interface RowProblem {
  /** Index of the row inside the batch. */
  readonly index: number;
  /** Why the row is malformed, as a sentence fragment. */
  readonly reason: string;
}

/** A batch of raw rows. */
export interface RawBatch {
  /** Source column names in source order (may repeat when a header does). */
  readonly names: readonly string[];
  /**
   * Whether `names` is the file's complete column set (a CSV/XLSX header, a Parquet
   * schema) rather than the keys seen in this batch's records (JSON).
   */
  readonly namesComplete: boolean;
  /** Number of rows. */
  readonly length: number;
  /** 1-based source row of each row: CSV/NDJSON line, sheet row, JSON record, Parquet row. */
  readonly rows: Int32Array;
  /** Column at position `index` of `names`. */
  column(index: number): RawColumn;
  /** Rows the reader found malformed; the normalizer treats them as bad rows. */
  readonly problems: readonly RowProblem[];
}

/** A batch whose columns are given up front. */
export class SimpleBatch implements RawBatch {
  constructor(
    readonly names: readonly string[],
    readonly namesComplete: boolean,
    readonly rows: Int32Array,
    private readonly columns: readonly RawColumn[],
    readonly problems: readonly RowProblem[] = [],
  ) {}

  get length(): number {
    return this.rows.length;
  }

  column(index: number): RawColumn {
    return this.columns[index];
  }
}
