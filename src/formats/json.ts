/**
 * JSON and NDJSON readers. JSON is scanned incrementally byte by byte to find the
 * records array (the top-level array, or the array at `records_path`) and each
 * element is parsed on its own, so files larger than memory-friendly strings
 * stream. NDJSON is one record per line; a broken line is a bad row, not fatal.
 */
import { isUtf8 } from "node:buffer";
import { SourceFormatError } from "./errors.js";
import { parseJsonRecord } from "./json-number.js";
import { emptyError } from "./input.js";
import { count, jsonDepthOver, overLimit, type ReadLimits } from "./limits.js";
import { withoutUtf8Bom } from "./text.js";
import { type RawBatch, type RawColumn, type RowProblem, ValueColumn } from "./types.js";

class RecordBatch implements RawBatch {
  readonly names: string[];
  readonly namesComplete = false;
  private readonly cache = new Map<number, RawColumn>();

  constructor(
    private readonly records: readonly unknown[],
    readonly rows: Int32Array,
    readonly problems: readonly RowProblem[],
  ) {
    const seen = new Set<string>();
    for (const r of records) if (r !== null && typeof r === "object" && !Array.isArray(r)) for (const k of Object.keys(r)) seen.add(k);
    this.names = [...seen];
  }

  get length(): number {
    return this.records.length;
  }

  column(index: number): RawColumn {
    let col = this.cache.get(index);
    if (!col) {
      const name = this.names[index];
      col = new ValueColumn(this.records.map((r) => (r !== null && typeof r === "object" ? (r as Record<string, unknown>)[name] : undefined)));
      this.cache.set(index, col);
    }
    return col;
  }
}

class Batcher {
  private records: unknown[] = [];
  private rows: number[] = [];
  private problems: RowProblem[] = [];
  readonly out: RawBatch[] = [];
  emitted = false;

  constructor(
    private readonly batchRows: number,
    private readonly limits: ReadLimits = {},
    private readonly label = "source",
  ) {}

  add(row: number, text: string, what: string): void {
    const depth = this.limits.jsonDepth;
    if (depth !== undefined && jsonDepthOver(text, depth)) throw overLimit(`${this.label} ${what} ${row}`, `nests deeper than ${depth} levels`, "TIDEMARK_MAX_JSON_DEPTH");
    let value: unknown;
    try {
      value = parseJsonRecord(text);
    } catch {
      this.problem(row, "is not valid JSON", what);
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.problem(row, `is ${Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value}`}, not a JSON object`, what);
      return;
    }
    this.push(row, value);
  }

  private problem(row: number, reason: string, what: string): void {
    this.problems.push({ index: this.records.length, reason: what === "line" ? reason : reason.replace(/^is /, "is ") });
    this.push(row, null);
  }

  private push(row: number, value: unknown): void {
    this.records.push(value);
    this.rows.push(row);
    if (this.records.length >= this.batchRows) this.flush();
  }

  flush(force = false): void {
    if (this.records.length === 0 && !(force && !this.emitted)) return;
    this.out.push(new RecordBatch(this.records, Int32Array.from(this.rows), this.problems));
    this.emitted = true;
    this.records = [];
    this.rows = [];
    this.problems = [];
  }
}

/** Reads NDJSON (one JSON object per line, after a UTF-8 byte order mark if any; lines of only spaces, tabs and carriage returns are blank and skipped). Rows are line numbers. */
export async function* readNdjson(chunks: AsyncIterable<Uint8Array>, label: string, batchRows = 65536, limits: ReadLimits = {}): AsyncGenerator<RawBatch> {
  const batcher = new Batcher(batchRows, limits, label);
  const maxLine = Math.min(64 * 1024 * 1024, limits.rowBytes ?? Infinity);
  let leftover: Buffer | null = null;
  let line = 1;
  let total = 0;
  const lines = (buf: Buffer, final: boolean): number => {
    let p = 0;
    while (p < buf.length) {
      let nl = buf.indexOf(10, p);
      if (nl < 0) {
        if (!final) break;
        nl = buf.length;
      }
      let e = nl;
      if (e > p && buf[e - 1] === 13) e--;
      let s = p;
      while (s < e && (buf[s] === 32 || buf[s] === 9 || buf[s] === 13)) s++;
      if (s < e) {
        if (!isUtf8(buf.subarray(s, e))) throw new SourceFormatError(`${label} line ${line}: the line is not valid UTF-8; JSON must be UTF-8 encoded.`, line);
        batcher.add(line, buf.toString("utf8", s, e), "line");
      }
      line++;
      p = nl + 1;
    }
    return p;
  };
  for await (const chunk of withoutUtf8Bom(chunks)) {
    total += chunk.length;
    const buf: Buffer = leftover ? Buffer.concat([leftover, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const used = lines(buf, false);
    leftover = used < buf.length ? Buffer.from(buf.subarray(used)) : null;
    if (leftover && leftover.length > maxLine) {
      if (maxLine < 64 * 1024 * 1024) throw overLimit(`${label} line ${line}`, `is longer than ${count(maxLine)} bytes`, "TIDEMARK_MAX_ROW_BYTES");
      throw new SourceFormatError(`${label} line ${line}: the line is longer than 64 MiB; is this really NDJSON?`, line);
    }
    yield* batcher.out.splice(0);
  }
  if (total === 0) throw emptyError(label);
  if (leftover) lines(leftover, true);
  batcher.flush(true);
  yield* batcher.out.splice(0);
}

interface Frame {
  readonly array: boolean;
  key: string | null;
  expectKey: boolean;
}

/**
 * Reads a JSON document whose records are the top-level array or the array at
 * `recordsPath` (dotted keys, e.g. "data.items"), after a UTF-8 byte order mark if any. Rows are
 * 1-based record indexes.
 */
export async function* readJson(chunks: AsyncIterable<Uint8Array>, label: string, recordsPath: string | undefined, batchRows = 65536, limits: ReadLimits = {}): AsyncGenerator<RawBatch> {
  const target = recordsPath === undefined ? [] : recordsPath.split(".");
  const batcher = new Batcher(batchRows, limits, label);
  const maxRecord = Math.min(64 * 1024 * 1024, limits.rowBytes ?? Infinity);
  const stack: Frame[] = [];
  const topKeys: string[] = [];
  let inString = false;
  let escaped = false;
  let keyParts: Uint8Array[] | null = null;
  let elemParts: Uint8Array[] | null = null;
  let targetDepth = -1;
  let done = false;
  let record = 0;
  let total = 0;
  let started = false;

  const fail = (reason: string): never => {
    throw new SourceFormatError(`${label}: ${reason}.`);
  };
  const endElement = (chunk: Uint8Array, from: number, to: number) => {
    elemParts!.push(chunk.subarray(from, to));
    const bytes = Buffer.concat(elemParts!);
    elemParts = null;
    record++;
    if (!isUtf8(bytes)) throw new SourceFormatError(`${label} record ${record}: the record is not valid UTF-8; JSON must be UTF-8 encoded.`, record);
    batcher.add(record, bytes.toString("utf8"), "record");
  };

  for await (const chunk of withoutUtf8Bom(chunks)) {
    total += chunk.length;
    let elemFrom = 0;
    let keyFrom = 0;
    for (let i = 0; i < chunk.length && !done; i++) {
      const c = chunk[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) {
          inString = false;
          if (keyParts) {
            keyParts.push(chunk.subarray(keyFrom, i + 1));
            const raw = Buffer.concat(keyParts).toString("utf8");
            let key: string;
            try {
              key = JSON.parse(raw) as string;
            } catch {
              throw new SourceFormatError(`${label}: an object key is not a valid JSON string; check that the file is valid JSON.`);
            }
            keyParts = null;
            const top = stack[stack.length - 1];
            top.key = key;
            if (stack.length === 1) topKeys.push(key);
          }
        }
        continue;
      }
      if (c === 32 || c === 10 || c === 13 || c === 9) continue;
      if (!started) {
        started = true;
        if (target.length === 0 && c !== 91) fail(`the top-level JSON value is ${c === 123 ? "an object" : "not an array"}; set source.options.records_path to the key of the records array`);
      }
      const depth = stack.length;
      if (depth === targetDepth) {
        if (c === 44 || c === 93) {
          if (elemParts) endElement(chunk, elemFrom, i);
          else if (c === 44) fail(`record ${record + 1} is empty (two commas in a row)`);
          if (c === 93) {
            done = true;
            break;
          }
          continue;
        }
        if (!elemParts) {
          elemParts = [];
          elemFrom = i;
        }
      }
      const top = stack[depth - 1];
      if (c === 34) {
        inString = true;
        if (top && !top.array && top.expectKey && !elemParts) {
          keyParts = [];
          keyFrom = i;
        }
      } else if (c === 123 || c === 91) {
        if (c === 91 && targetDepth < 0 && depth === target.length && stack.every((f, j) => !f.array && f.key === target[j])) targetDepth = depth + 1;
        stack.push({ array: c === 91, key: null, expectKey: c === 123 });
        if (limits.jsonDepth !== undefined && stack.length > limits.jsonDepth) throw overLimit(label, `nests deeper than ${limits.jsonDepth} levels`, "TIDEMARK_MAX_JSON_DEPTH");
      } else if (c === 125 || c === 93) {
        if (!top || top.array !== (c === 93)) fail(`unbalanced ${String.fromCharCode(c)} in the JSON document`);
        stack.pop();
      } else if (top && !top.array) {
        if (c === 58) top.expectKey = false;
        else if (c === 44) top.expectKey = true;
      }
    }
    if (elemParts && !done) {
      elemParts.push(chunk.subarray(elemFrom));
      if (elemParts.reduce((n, p) => n + p.length, 0) > maxRecord) {
        if (maxRecord < 64 * 1024 * 1024) throw overLimit(`${label} record ${record + 1}`, `is larger than ${count(maxRecord)} bytes`, "TIDEMARK_MAX_ROW_BYTES");
        fail(`record ${record + 1} is larger than 64 MiB`);
      }
    }
    if (keyParts) keyParts.push(chunk.subarray(keyFrom));
    yield* batcher.out.splice(0);
  }
  if (total === 0) throw emptyError(label);
  if (targetDepth < 0) {
    const keys = topKeys.length > 0 ? ` (top-level keys: ${topKeys.slice(0, 8).map((k) => (k.length > 32 ? `${k.slice(0, 29)}...` : k)).join(", ")})` : "";
    fail(`no records array at records_path ${JSON.stringify(recordsPath ?? "")}${keys}; set source.options.records_path to the dotted path of the array`);
  }
  if (!done) fail("the JSON document ends before the records array is closed (truncated file?)");
  batcher.flush(true);
  yield* batcher.out.splice(0);
}
