/**
 * What the engine path must know about a CSV before DuckDB reads it: the header and first data line
 * as the JS reader sees them (so its errors and column names are the JS path's own), and whether the
 * bytes hold anything DuckDB's reader treats differently from the JS tokenizer (lone CR line
 * breaks, blanks next to a quote, multi-line records before the data).
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import type { DatasetDefinition } from "../../definition/schema.js";
import { type ReadLimits, readSource } from "../../formats/index.js";
import type { CsvFacts } from "./plan.js";

/** DuckDB's default `max_line_size`; its read buffer is sized for it. */
const DUCKDB_MAX_LINE = 2 * 1024 * 1024;

const LF = 10;
const CR = 13;

/** A CSV the engine can read: the facts for the plan and the line of the first data row (absent when there is none). */
export interface CsvSource {
  readonly facts: CsvFacts;
  readonly firstLine: number | undefined;
  /** Source line of each row of the JS reader's first batch (exact, even across multi-line records). */
  readonly firstLines: Int32Array;
}

/** Line-break statistics of a whole file. */
export interface LineStats {
  /** LF bytes. */
  readonly lf: number;
  /** The last byte is LF. */
  readonly endsWithLf: boolean;
}

/** The longest record the JS reader accepts for `def` under `limits`. */
export function maxRecordBytes(def: DatasetDefinition, limits: ReadLimits | undefined): number {
  return Math.min(def.source.options.max_row_bytes, limits?.rowBytes ?? Infinity);
}

/**
 * Reads the first batch with the JS reader exactly as `normalizeSource` would (so any error it
 * throws is the one the JS path throws first), then checks the bytes. Returns the facts, or an
 * unsupported reason.
 */
export async function csvSource(def: DatasetDefinition, path: string, fileLabel: string, limits: ReadLimits | undefined): Promise<CsvSource | { unsupported: string }> {
  const opts = def.source.options;
  const batches = readSource(path, "csv", opts, { fileLabel, maxRecordBytes: opts.max_row_bytes, limits });
  let first;
  try {
    first = await batches.next();
  } finally {
    await batches.return(undefined);
  }
  if (first.done) return { unsupported: "the JS reader yielded no header" };
  const batch = first.value;
  if (batch.problems.length > 0) return { unsupported: "rows with a wrong field count (DuckDB's strict reader stops at them)" };
  const maxRecord = maxRecordBytes(def, limits);
  if (maxRecord < 16) return { unsupported: "a record limit under 16 bytes" };
  const maxLineSize = Math.min(maxRecord - 1, DUCKDB_MAX_LINE);
  const firstLine = batch.length > 0 ? batch.rows[0] : undefined;
  const skip = firstLine === undefined ? 0 : firstLine - 1;
  const bytes = await scanBytes(path, opts.quote.charCodeAt(0), opts.delimiter.charCodeAt(0), skip);
  if (typeof bytes === "string") return { unsupported: bytes };
  return { facts: { names: batch.names, skip, maxLineSize }, firstLine, firstLines: Int32Array.from(batch.rows) };
}

const BLANK_NEXT_TO_QUOTE = "a space or tab next to a quote character outside a quoted field";

function blank(b: number): boolean {
  return b === 32 || b === 9;
}

/**
 * Quote state of the JS tokenizer, followed across chunks from the first data byte on. It also
 * finds blanks next to a quote outside quoted content (` "x"`, `"x" `, `x" y`): DuckDB strips such
 * blanks, while the JS reader keeps them or rejects the row.
 */
class QuoteState {
  inside = false;
  /** Inside a quoted field, the previous chunk ended on a quote (closing, or the first of a doubled pair). */
  pending = false;
  /** The previous chunk ended right after a closing or literal quote (the next byte must not be a blank). */
  checkNext = false;

  constructor(
    private readonly quote: number,
    private readonly delimiter: number,
  ) {}

  /** Follows `buf[from..]`; `before` is the byte before `buf[from]` (-1 at the first data byte, a field start). Returns a reason to decline, or null. */
  scan(buf: Buffer, from: number, before: number): string | null {
    const q = this.quote;
    let i = from;
    if (i >= buf.length) return null;
    if (this.checkNext) {
      this.checkNext = false;
      if (blank(buf[i])) return BLANK_NEXT_TO_QUOTE;
    }
    if (this.pending) {
      this.pending = false;
      if (buf[i] === q) i++;
      else {
        this.inside = false;
        if (blank(buf[i])) return BLANK_NEXT_TO_QUOTE;
      }
    }
    while (i < buf.length) {
      const at = buf.indexOf(q, i);
      if (at < 0) return null;
      if (this.inside) {
        if (at + 1 === buf.length) {
          this.pending = true;
          return null;
        }
        if (buf[at + 1] === q) i = at + 2;
        else {
          if (blank(buf[at + 1])) return BLANK_NEXT_TO_QUOTE;
          this.inside = false;
          i = at + 1;
        }
        continue;
      }
      const prev = at > from ? buf[at - 1] : before;
      if (blank(prev)) return BLANK_NEXT_TO_QUOTE;
      if (prev === -1 || prev === this.delimiter || prev === LF || prev === CR) this.inside = true;
      else if (at + 1 === buf.length) this.checkNext = true;
      else if (blank(buf[at + 1])) return BLANK_NEXT_TO_QUOTE;
      i = at + 1;
    }
    return null;
  }

  /** Whether a quoted field is still open at the end of the file. */
  get unclosed(): boolean {
    return this.inside && !this.pending;
  }
}

/**
 * One pass over the file: no lone CR, no CRLF mixed with bare LF, no blank next to a quote outside
 * quoted content (see {@link QuoteState}), the first
 * `prefixLines` lines non-empty with balanced quotes (DuckDB's `skip` counts records), and no
 * quoted field left open at the end (DuckDB drops that record silently, the JS reader fails).
 * Returns a reason when any fails. `chunkBytes` only changes how the file is read.
 */
export async function scanBytes(path: string, quote: number, delimiter: number, prefixLines: number, chunkBytes = 1 << 20): Promise<string | null> {
  let prev = -1;
  let pos = 0;
  let cr = 0;
  let line = 0;
  let lineStart = true;
  let quotes = 0;
  const state = new QuoteState(quote, delimiter);
  /** File offset of the first data byte, once known (after a UTF-8 BOM when there are no prefix lines). */
  let dataStart = prefixLines === 0 ? ((await startsWithBom(path)) ? 3 : 0) : -1;
  for await (const chunk of createReadStream(path, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(CR); i >= 0; i = chunk.indexOf(CR, i + 1)) {
      const next = i + 1 < chunk.length ? chunk[i + 1] : -1;
      if (next !== LF && next !== -1) return "a CR line break without LF";
      cr++;
    }
    if (prev === CR && chunk[0] !== LF) return "a CR line break without LF";
    for (let i = 0; dataStart < 0 && i < chunk.length; i++) {
      const c = chunk[i];
      if (c === LF) {
        if (lineStart || quotes % 2 !== 0) return "a blank or multi-line record before the first data row";
        lineStart = true;
        quotes = 0;
        if (++line === prefixLines) dataStart = pos + i + 1;
      } else if (c !== CR) {
        lineStart = false;
        if (c === quote) quotes++;
      }
    }
    if (dataStart >= 0 && pos + chunk.length > dataStart) {
      const from = Math.max(0, dataStart - pos);
      const why = state.scan(chunk, from, pos + from === dataStart ? -1 : prev);
      if (why !== null) return why;
    }
    prev = chunk[chunk.length - 1];
    pos += chunk.length;
  }
  if (prev === CR) return "a CR line break without LF";
  if (state.unclosed) return "a quoted field that is never closed";
  if (cr > 0 && cr !== (await lineStats(path)).lf) return "CRLF line breaks mixed with bare LF";
  return null;
}

function countByte(chunk: Buffer, byte: number): number {
  let n = 0;
  for (let i = chunk.indexOf(byte); i >= 0; i = chunk.indexOf(byte, i + 1)) n++;
  return n;
}

async function startsWithBom(path: string): Promise<boolean> {
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(3);
    const { bytesRead } = await file.read(head, 0, 3, 0);
    return bytesRead === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  } finally {
    await file.close();
  }
}

/** Counts the LF bytes of a file and whether it ends with one. */
export async function lineStats(path: string): Promise<LineStats> {
  let lf = 0;
  let last = -1;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    lf += countByte(chunk, LF);
    last = chunk[chunk.length - 1];
  }
  return { lf, endsWithLf: last === LF };
}
