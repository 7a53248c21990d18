/**
 * Streaming CSV reader: gathers input chunks, runs the byte-level tokenizer over
 * them and yields columnar batches of byte ranges (`TextColumn`s); no
 * per-row objects and no strings until a consumer asks for one. Handles quotes
 * (doubled or with an escape character), embedded line breaks, CRLF/CR/LF, a
 * UTF-8 BOM, comments, blank lines, UTF-8 validation and a per-record size cap.
 */
import type { SourceOptions } from "../definition/schema.js";
import { CsvTokenizer } from "./csv-tokenizer.js";
import { SourceFormatError } from "./errors.js";
import type { ReadLimits } from "./limits.js";
import { emptyError } from "./input.js";
import { type RawBatch, SimpleBatch, ValueColumn } from "./types.js";

const MiB = 1024 * 1024;

/** Tuning knobs of the CSV reader. */
export interface CsvReadOptions {
  /** Name of the file in error messages. */
  readonly fileLabel: string;
  /** Rows per batch (default 65,536). */
  readonly batchRows?: number;
  /** Longest record accepted, in bytes (default 64 MiB). */
  readonly maxRecordBytes?: number;
  /** Bytes gathered before tokenizing (default 4 MiB). */
  readonly chunkBytes?: number;
  /** The worker's size limits (the column limit is checked as soon as the header is read). */
  readonly limits?: ReadLimits;
}

/**
 * Reads CSV from a byte stream and yields batches of raw text cells. Rows with a
 * wrong field count are reported in `problems`; unterminated quotes, stray
 * characters after a closing quote, invalid UTF-8 and records over
 * `maxRecordBytes` throw {@link SourceFormatError} naming the row.
 */
export async function* readCsv(chunks: AsyncIterable<Uint8Array>, options: SourceOptions, read: CsvReadOptions): AsyncGenerator<RawBatch> {
  const maxRecord = read.maxRecordBytes ?? options.max_row_bytes ?? 64 * MiB;
  const tok = new CsvTokenizer(options, read.fileLabel, read.batchRows ?? 65536, maxRecord, read.limits?.columns);
  const chunkBytes = read.chunkBytes ?? 4 * MiB;
  let leftover: Buffer | null = null;
  let parts: Uint8Array[] = [];
  let gathered = 0;
  let first = true;
  let total = 0;
  let yielded = false;

  const run = (final: boolean): void => {
    let buf: Buffer = Buffer.concat(leftover ? [leftover, ...parts] : parts);
    parts = [];
    gathered = 0;
    if (first && buf.length > 0) {
      first = false;
      if (options.encoding === "utf-8" && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    const line = tok.line;
    const used = tok.parse(buf, final);
    tok.checkUtf8(buf, used, line);
    tok.flush(buf);
    leftover = used < buf.length ? buf.subarray(used) : null;
    if (leftover && leftover.length > maxRecord) tok.tooLong(tok.line);
  };

  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    total += chunk.length;
    parts.push(chunk);
    gathered += chunk.length;
    if (gathered >= Math.max(chunkBytes, leftover ? (leftover as Buffer).length : 0)) {
      run(false);
      for (const b of tok.out.splice(0)) {
        yielded = true;
        yield b;
      }
    }
  }
  if (total === 0) throw emptyError(read.fileLabel);
  run(true);
  const rest = tok.out.splice(0);
  if (rest.length > 0) yield* rest;
  else if (!yielded && tok.names !== null) yield new SimpleBatch(tok.names, true, new Int32Array(0), tok.names.map(() => new ValueColumn([])));
  if (tok.names === null) throw new SourceFormatError(`${read.fileLabel} has no header row: it holds only blank or comment lines.`);
}
