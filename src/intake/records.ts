/**
 * Validation of a pushed request body against a push dataset's schema, with the same readers,
 * types and casts as file sources (src/formats, src/normalize), and its serialisation as the
 * normalized NDJSON lines of a fragment.
 */
import { gunzip } from "node:zlib";
import { promisify } from "node:util";
import type { DatasetDefinition } from "../definition/schema.js";
import { SourceFormatError } from "../formats/errors.js";
import { normalizeSource } from "../normalize/normalize.js";
import { BadRowsError, MissingColumnError, describeBadRow } from "../normalize/errors.js";
import { BadRecordError, IntakeRequestError } from "./errors.js";
import { encodeRows } from "./encode.js";

const gunzipAsync = promisify(gunzip);

/** Body formats the records endpoint accepts. */
export type BodyFormat = "ndjson" | "json";

/** Limits applied to one request. */
export interface RecordLimits {
  /** Largest body in bytes, after decompression. */
  readonly maxBodyBytes: number;
  /** Largest single record in bytes (an NDJSON line, or a normalized record). */
  readonly maxRecordBytes: number;
}

/** The validated records of one request. */
export interface ValidatedRecords {
  /** Number of records. */
  readonly count: number;
  /** The normalized records as NDJSON, one line per record, each ending in "\n". */
  readonly ndjson: Buffer;
}

async function* once(body: Buffer): AsyncGenerator<Uint8Array> {
  yield body;
}

/** Decompresses a gzip body, bounded by `maxBytes`; 400 for bad gzip, 413 when it inflates past the bound. */
export async function inflateBody(body: Buffer, maxBytes: number): Promise<Buffer> {
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError) {
      throw new IntakeRequestError(413, `The body is larger than ${maxBytes} bytes once decompressed; send fewer records per request.`, { limit: maxBytes });
    }
    throw new IntakeRequestError(400, `The body is not valid gzip (${(err as Error).message}); send it uncompressed or gzip it completely.`);
  }
}

/** 0-based record index of each 1-based NDJSON line that holds a record (blank lines hold none); -1 for blank lines. */
function ndjsonLines(body: Buffer, maxRecordBytes: number): Int32Array {
  const index: number[] = [-1];
  let p = 0;
  let n = 0;
  while (p <= body.length) {
    let nl = body.indexOf(10, p);
    if (nl < 0) nl = body.length;
    let s = p;
    let e = nl;
    while (s < e && (body[s] === 32 || body[s] === 9 || body[s] === 13)) s++;
    while (e > s && (body[e - 1] === 32 || body[e - 1] === 9 || body[e - 1] === 13)) e--;
    if (e > s) {
      if (e - s > maxRecordBytes) {
        throw new BadRecordError(`Record ${n} (line ${index.length}) is ${e - s} bytes, over the ${maxRecordBytes}-byte record limit; split or shorten it.`, n, null, "too large", 413);
      }
      index.push(n++);
    } else index.push(-1);
    p = nl + 1;
  }
  return Int32Array.from(index);
}

function badRecord(err: BadRowsError, format: BodyFormat, lines: Int32Array | null): BadRecordError {
  const first = err.rows[0];
  const index = format === "ndjson" && lines ? lines[first.row] : first.row - 1;
  const where = format === "ndjson" ? `Record ${index} (line ${first.row})` : `Record ${index}`;
  const clause = describeBadRow(first).replace(/^column /, "field ");
  return new BadRecordError(`${where}: ${clause}; fix it and send the request again (nothing from this request was accepted).`, index, first.column, first.reason);
}

function bodyFormatError(err: SourceFormatError, format: BodyFormat): IntakeRequestError {
  const want = format === "json" ? "a JSON array of record objects" : "one JSON object per line";
  if (format === "json" && /top-level JSON value is/.test(err.message)) {
    return new IntakeRequestError(400, `The body is not a JSON array; send ${want}, or NDJSON with Content-Type: application/x-ndjson.`);
  }
  const utf8 = /not valid UTF-8/.test(err.message);
  const why = utf8 && format === "json" && err.row !== undefined ? `record ${err.row - 1} is not valid UTF-8` : err.message.replace(/^the body:? /, "").split(";")[0].replace(/\.$/, "");
  return new IntakeRequestError(400, `The body is not valid ${format === "json" ? "JSON" : "NDJSON"} (${why}); send ${want}${utf8 ? ", UTF-8 encoded" : ""}.`);
}

/**
 * Validates and normalizes the records of a body (already decompressed). Throws
 * {@link BadRecordError} for the first bad record and {@link IntakeRequestError} for a body
 * that holds no records or is not the declared format.
 */
export async function validateRecords(def: DatasetDefinition, body: Buffer, format: BodyFormat, limits: RecordLimits): Promise<ValidatedRecords> {
  const lines = format === "ndjson" ? ndjsonLines(body, limits.maxRecordBytes) : null;
  const definition: DatasetDefinition = { ...def, on_bad_rows: "fail", unpivot: undefined, source: { ...def.source, format, options: { ...def.source.options, records_path: undefined } } };
  let result;
  try {
    result = await normalizeSource({ definition, input: once(body), fileLabel: "the body", maxRecordBytes: limits.maxRecordBytes });
  } catch (err) {
    if (err instanceof BadRowsError) throw badRecord(err, format, lines);
    if (err instanceof MissingColumnError) {
      const column = def.schema.columns.find((c) => c.from === err.column);
      const field = column?.name ?? err.column;
      throw new BadRecordError(`Record 0: field "${err.column}" is missing from every record of the request; send it in each record (null where the column allows it).`, 0, field, "missing");
    }
    if (err instanceof SourceFormatError) throw bodyFormatError(err, format);
    throw err;
  }
  const count = result.table.numRows;
  if (count === 0) throw new IntakeRequestError(400, "The body holds no records; send at least one JSON object.");
  const ndjson = encodeRows(result.table);
  return { count, ndjson: checkEncoded(ndjson, limits.maxRecordBytes) };
}

function checkEncoded(ndjson: Buffer, maxRecordBytes: number): Buffer {
  let p = 0;
  let i = 0;
  while (p < ndjson.length) {
    const nl = ndjson.indexOf(10, p);
    if (nl - p > maxRecordBytes) {
      throw new BadRecordError(`Record ${i} is ${nl - p} bytes once normalized, over the ${maxRecordBytes}-byte record limit; split or shorten it.`, i, null, "too large", 413);
    }
    p = nl + 1;
    i++;
  }
  return ndjson;
}
