/**
 * The records path's validator of NDJSON bodies, compiled once per push dataset: one pass over the
 * body's bytes that checks each line's JSON, casts each field with its column's writer
 * (column-writers.ts) and writes the fragment's normalized NDJSON directly, without building
 * objects for flat records (a line with nested values is parsed with JSON.parse). It accepts
 * exactly the bodies the normalizer (records.ts `validateRecords`) accepts and writes the same
 * bytes; for anything else it returns null and the caller asks the normalizer, whose error the
 * client gets. The lines of successive bodies are written one after another into a shared slab and
 * returned as views of it (no copy per request).
 */
import { isUtf8 } from "node:buffer";
import type { DatasetDefinition } from "../definition/schema.js";
import { JsonNumber, losesDigits, parseJsonRecord } from "../formats/json-number.js";
import { type ColumnWriter, columnWriters } from "./column-writers.js";
import { literal, numberAt, numberEnd, stringEnd, ws } from "./json-bytes.js";
import { OutBytes } from "./out-bytes.js";
import type { RecordLimits, ValidatedRecords } from "./records.js";

const enum Kind {
  Missing,
  Raw,
  Escaped,
  Number,
  True,
  False,
  Null,
  Value,
}

const enum Line {
  Ok,
  Parse,
  Refuse,
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Size of an output slab: validations write their lines one after another into it and return views of it. */
const SLAB_BYTES = 256 * 1024;
let slab = new OutBytes(SLAB_BYTES);

/** Validates NDJSON bodies of one push dataset (see the module comment). */
export class NdjsonValidator {
  private readonly writers: ColumnWriter[];
  /** Distinct source field names, as UTF-8 bytes. */
  private readonly keys: Buffer[];
  private readonly keyNames: string[];
  /** Index into `keys` of each column's source field. */
  private readonly keyOf: Int32Array;
  /** `"name":` of each column, with a leading comma after the first. */
  private readonly prefixes: Buffer[];
  private readonly kind: Uint8Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly values: unknown[];
  private readonly seen: Uint8Array;
  /** False when the definition needs the normalizer for every body (a field named like an Object.prototype member). */
  readonly usable: boolean;

  constructor(
    def: DatasetDefinition,
    private readonly limits: RecordLimits,
  ) {
    const columns = def.schema.columns;
    this.keyNames = [...new Set(columns.map((c) => c.from))];
    this.keys = this.keyNames.map((k) => Buffer.from(k, "utf8"));
    this.keyOf = Int32Array.from(columns.map((c) => this.keyNames.indexOf(c.from)));
    this.prefixes = columns.map((c, j) => Buffer.from(`${j ? "," : "{"}${JSON.stringify(c.name)}:`, "utf8"));
    this.writers = columnWriters(def);
    const n = this.keys.length;
    this.kind = new Uint8Array(n);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
    this.values = new Array<unknown>(n).fill(null);
    this.seen = new Uint8Array(n);
    this.usable = this.keyNames.every((k) => !(k in Object.prototype));
  }

  /** The validated records of an NDJSON body (decompressed), or null when the normalizer must decide. */
  validate(body: Buffer): ValidatedRecords | null {
    if (!this.usable || !isUtf8(body)) return null;
    if (slab.buf.length - slab.pos < SLAB_BYTES / 4) slab = new OutBytes(SLAB_BYTES);
    const out = slab;
    const from = out.pos;
    this.seen.fill(0);
    const max = this.limits.maxRecordBytes;
    let count = 0;
    let p = 0;
    while (p <= body.length) {
      let nl = body.indexOf(10, p);
      if (nl < 0) nl = body.length;
      let s = p;
      let e = nl;
      if (e > s && body[e - 1] === 13) e--;
      while (s < e && (body[s] === 32 || body[s] === 9)) s++;
      p = nl + 1;
      if (s === e) continue;
      const lineStart = out.pos;
      if (!this.record(body, s, e, out, max) || out.pos - 1 - lineStart > max) return this.refuse(out, from);
      count++;
    }
    if (count === 0) return this.refuse(out, from);
    for (let k = 0; k < this.seen.length; k++) if (!this.seen[k]) return this.refuse(out, from);
    const ndjson = out.buf.subarray(from, out.pos);
    if (out.buf.length > 1 << 22) slab = new OutBytes(SLAB_BYTES);
    return { count, ndjson };
  }

  /** Gives the slab back what a body the normalizer must decide wrote into it. */
  private refuse(out: OutBytes, from: number): null {
    out.pos = from;
    if (out.buf.length > 1 << 22) slab = new OutBytes(SLAB_BYTES);
    return null;
  }

  /** Reads the line `body[s, e)` (not blank) and writes its normalized record; false when the normalizer must decide. */
  private record(body: Buffer, s: number, e: number, out: OutBytes, max: number): boolean {
    let a = s;
    let b = e;
    while (a < b && ws(body[a])) a++;
    while (b > a && ws(body[b - 1])) b--;
    if (b - a > max) return false;
    this.kind.fill(Kind.Missing);
    const read = this.scan(body, a, b);
    if (read === Line.Refuse) return false;
    if (read === Line.Parse && !this.parse(body, s, e)) return false;
    return this.write(body, out);
  }

  /** Scans a flat JSON object spanning exactly `buf[i, end)`, noting the fields of the schema. */
  private scan(buf: Buffer, i: number, end: number): Line {
    if (buf[i] !== 123 || buf[end - 1] !== 125) return Line.Refuse;
    i++;
    const last = end - 1;
    while (i < last && ws(buf[i])) i++;
    if (i === last) return Line.Ok;
    for (;;) {
      if (buf[i] !== 34) return Line.Refuse;
      const key = stringEnd(buf, i + 1, last);
      if (key === -1) return Line.Refuse;
      if (key < 0) return Line.Parse;
      const k = this.keyIndex(buf, i + 1, key);
      i = key + 1;
      while (i < last && ws(buf[i])) i++;
      if (buf[i] !== 58) return Line.Refuse;
      i++;
      while (i < last && ws(buf[i])) i++;
      if (i >= last) return Line.Refuse;
      const c = buf[i];
      let kind: Kind;
      let vs = i;
      let ve: number;
      if (c === 34) {
        const v = stringEnd(buf, i + 1, last);
        if (v === -1) return Line.Refuse;
        kind = v < 0 ? Kind.Escaped : Kind.Raw;
        vs = i + 1;
        ve = v < 0 ? -v - 2 : v;
        i = ve + 1;
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        ve = numberEnd(buf, i, last);
        if (ve < 0 || (ve - i >= 16 && losesDigits(buf.toString("latin1", i, ve)))) return Line.Refuse;
        kind = Kind.Number;
        i = ve;
      } else if (c === 116 && literal(buf, i, last, "true")) {
        kind = Kind.True;
        i = ve = i + 4;
      } else if (c === 102 && literal(buf, i, last, "false")) {
        kind = Kind.False;
        i = ve = i + 5;
      } else if (c === 110 && literal(buf, i, last, "null")) {
        kind = Kind.Null;
        i = ve = i + 4;
      } else if (c === 123 || c === 91) return Line.Parse;
      else return Line.Refuse;
      if (k >= 0) {
        this.kind[k] = kind;
        this.start[k] = vs;
        this.end[k] = ve;
      }
      while (i < last && ws(buf[i])) i++;
      if (i === last) return Line.Ok;
      if (buf[i] !== 44) return Line.Refuse;
      i++;
      while (i < last && ws(buf[i])) i++;
    }
  }

  private keyIndex(buf: Buffer, s: number, e: number): number {
    const keys = this.keys;
    const len = e - s;
    outer: for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      if (key.length !== len) continue;
      for (let x = 0; x < len; x++) if (buf[s + x] !== key[x]) continue outer;
      this.seen[k] = 1;
      return k;
    }
    return -1;
  }

  /** Reads the line with JSON.parse (nested values, escaped field names). */
  private parse(body: Buffer, s: number, e: number): boolean {
    let r: unknown;
    try {
      r = parseJsonRecord(body.toString("utf8", s, e));
    } catch {
      return false;
    }
    if (r === null || typeof r !== "object" || Array.isArray(r)) return false;
    if (Object.values(r).some((v) => v instanceof JsonNumber)) return false;
    const names = this.keyNames;
    for (let k = 0; k < names.length; k++) {
      if (!hasOwn.call(r, names[k])) {
        this.kind[k] = Kind.Missing;
        continue;
      }
      this.seen[k] = 1;
      this.kind[k] = Kind.Value;
      this.values[k] = (r as Record<string, unknown>)[names[k]];
    }
    return true;
  }

  private write(body: Buffer, out: OutBytes): boolean {
    const writers = this.writers;
    for (let j = 0; j < writers.length; j++) {
      const prefix = this.prefixes[j];
      out.bytes(prefix, 0, prefix.length);
      const k = this.keyOf[j];
      const w = writers[j];
      let ok: boolean;
      switch (this.kind[k] as Kind) {
        case Kind.Raw:
          ok = w.raw(out, body, this.start[k], this.end[k]);
          break;
        case Kind.Number:
          ok = w.num(out, numberAt(body, this.start[k], this.end[k]));
          break;
        case Kind.True:
          ok = w.bool(out, true);
          break;
        case Kind.False:
          ok = w.bool(out, false);
          break;
        case Kind.Missing:
        case Kind.Null:
          ok = w.nil(out);
          break;
        case Kind.Escaped:
          ok = w.str(out, JSON.parse(body.toString("utf8", this.start[k] - 1, this.end[k] + 1)) as string);
          break;
        case Kind.Value:
          ok = this.value(w, out, this.values[k]);
          break;
      }
      if (!ok) return false;
    }
    out.room(2);
    out.buf[out.pos++] = 125;
    out.buf[out.pos++] = 10;
    return true;
  }

  private value(w: ColumnWriter, out: OutBytes, v: unknown): boolean {
    switch (typeof v) {
      case "string":
        return w.str(out, v);
      case "number":
        return w.num(out, v);
      case "boolean":
        return w.bool(out, v);
      default:
        return v === null ? w.nil(out) : w.obj(out, v);
    }
  }
}
