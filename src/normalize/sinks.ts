/**
 * Column sinks: one per output column, casting cells into growable typed storage
 * and finally into an Arrow vector. Slots are reserved a batch at a time and
 * written by index; a failed cell becomes a null placeholder that the caller
 * compacts away with the rest of its bad row.
 */
import { Utf8, Vector, makeData, makeVector } from "apache-arrow";
import type { ColumnDefinition } from "../definition/schema.js";
import { JsonNumber, jsonText } from "../formats/json-number.js";
import { type RawColumn, TextColumn, utf8Decoder } from "../formats/types.js";
import { Validity } from "../parquet/columns.js";
import { type CastContext, type CellTarget, castCell, castColumnGeneric, isToken } from "./cast.js";
import { compactRows, ensure } from "./growable.js";

let scratchBuf = Buffer.alloc(4096);

/** Encodes `text` as UTF-8 into a shared scratch buffer; returns the buffer and byte length. */
export function encodeScratch(text: string): [Buffer, number] {
  if (text.length * 3 > scratchBuf.length) scratchBuf = Buffer.alloc(text.length * 3 + 1024);
  return [scratchBuf, scratchBuf.write(text, 0, "utf8")];
}

/** Text of a native value as a string column stores it. */
export function nativeText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof JsonNumber) return v.text;
  if (typeof v === "object") return jsonText(v);
  return String(v);
}

/** "a boolean", "a number"…: the kind of a native value, for reasons. */
export function kindOf(v: unknown): string {
  if (typeof v === "boolean") return "a boolean";
  if (typeof v === "number" || typeof v === "bigint" || v instanceof JsonNumber) return "a number";
  if (v instanceof Date) return "a date";
  if (v instanceof Uint8Array) return "binary data";
  if (Array.isArray(v) || v instanceof Vector) return "a list";
  return typeof v === "object" ? "an object" : typeof v;
}

/** Base of all sinks: row count, null bitmap, reservation and compaction. */
export abstract class Sink implements CellTarget {
  length = 0;
  protected valid = new Uint8Array(0);
  protected nulls = 0;

  constructor(readonly def: ColumnDefinition) {}

  abstract bytesAt(at: number, buf: Uint8Array, s: number, e: number): string | null;
  abstract nativeAt(at: number, v: unknown): string | null;
  /** Turns the rows into an Arrow vector. */
  abstract finish(): Vector;
  /** Makes the value storage hold `capacity` rows. */
  protected abstract grow(capacity: number): void;
  protected abstract compactValues(from: number, keep: Uint8Array): void;

  textAt(at: number, v: string): string | null {
    const [buf, n] = encodeScratch(v);
    return this.bytesAt(at, buf, 0, n);
  }

  nullAt(at: number): void {
    if (this.valid[at] === 1) {
      this.valid[at] = 0;
      this.nulls++;
    }
  }

  /** Appends `n` cells of `col`. */
  append(col: RawColumn, n: number, ctx: CastContext): void {
    this.fill(col, n, this.reserve(n), ctx);
  }

  protected fill(col: RawColumn, n: number, start: number, ctx: CastContext): void {
    castColumnGeneric(this, col, n, start, ctx, true);
  }

  /** Pre-sizes storage for about `rows` rows in total, so growth does not copy repeatedly. */
  expect(rows: number): void {
    if (rows <= this.valid.length) return;
    const next = new Uint8Array(rows);
    next.set(this.valid.subarray(0, this.length));
    this.valid = next;
    this.grow(rows);
  }

  /** Adds `n` valid slots; returns the first one's index. */
  protected reserve(n: number): number {
    const start = this.length;
    const end = start + n;
    if (end > this.valid.length) {
      this.valid = ensure(this.valid, start, end);
      this.grow(this.valid.length);
    }
    this.valid.fill(1, start, end);
    this.length = end;
    return start;
  }

  /** Drops rows `from + j` whose `keep[j]` is 0. */
  compact(from: number, keep: Uint8Array): void {
    this.compactValues(from, keep);
    this.length = compactRows(this.valid, from, this.length, keep);
    this.nulls = 0;
    for (let i = 0; i < this.length; i++) if (this.valid[i] === 0) this.nulls++;
  }

  protected validity(): Validity | undefined {
    if (this.nulls === 0) return undefined;
    const v = new Validity(this.length);
    for (let i = 0; i < this.length; i++) if (this.valid[i] === 0) v.setNull(i);
    return v;
  }
}

/** Utf8 strings, copied byte-for-byte from UTF-8 sources (validated by the reader). */
export class StringSink extends Sink {
  private data = new Uint8Array(0);
  private offsets = new Int32Array(1);
  private pos = 0;

  bytesAt(at: number, buf: Uint8Array, s: number, e: number): null {
    const len = e - s;
    if (this.pos + len > this.data.length) this.data = ensure(this.data, this.pos, this.pos + len);
    const data = this.data;
    const p = this.pos;
    if (len < 48) for (let k = 0; k < len; k++) data[p + k] = buf[s + k];
    else data.set(buf.subarray(s, e), p);
    this.pos = p + len;
    this.offsets[at + 1] = this.pos;
    return null;
  }

  nativeAt(at: number, v: unknown): string | null {
    if (v instanceof Uint8Array) return "binary data that is not UTF-8 text";
    this.textAt(at, nativeText(v));
    return null;
  }

  override nullAt(at: number): void {
    super.nullAt(at);
    this.offsets[at + 1] = this.pos;
  }

  protected override fill(col: RawColumn, n: number, start: number, ctx: CastContext): void {
    if (!(col instanceof TextColumn) || col.decode !== utf8Decoder) {
      for (let i = 0; i < n; i++) castCell(this, start + i, col, i, ctx);
      return;
    }
    const { buf, cells, stride, offset, overrides } = col;
    const { nulls, trim, nullReason, onBad } = ctx;
    const tokens = nulls.bytes;
    let upper = this.pos;
    for (let i = 0; i < n; i++) {
      const k = i * stride + offset;
      if (cells[k] >= 0) upper += cells[k + 1] - cells[k];
    }
    if (upper > this.data.length) this.data = ensure(this.data, this.pos, upper);
    let data = this.data;
    let out = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const src = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const offsets = this.offsets;
    let pos = this.pos;
    for (let i = 0; i < n; i++) {
      const k = i * stride + offset;
      let s = cells[k];
      if (s < 0 || (overrides !== undefined && overrides.has(i))) {
        this.pos = pos;
        castCell(this, start + i, col, i, ctx);
        if (data !== this.data) {
          data = this.data;
          out = new DataView(data.buffer, data.byteOffset, data.byteLength);
        }
        pos = this.pos;
        continue;
      }
      let e = cells[k + 1];
      if (trim) {
        while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
        while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
      }
      const len = e - s;
      if (len === 0 ? nulls.empty : tokens.length > 0 && isToken(buf, s, e, tokens)) {
        this.nullAt(start + i);
        offsets[start + i + 1] = pos;
        if (nullReason !== null) onBad(i, null, nullReason);
        continue;
      }
      if (pos + len > data.length) {
        data = this.data = ensure(data, pos, pos + len);
        out = new DataView(data.buffer, data.byteOffset, data.byteLength);
      }
      let j = 0;
      for (; j + 4 <= len; j += 4) out.setUint32(pos + j, src.getUint32(s + j, true), true);
      for (; j < len; j++) data[pos + j] = buf[s + j];
      pos += len;
      offsets[start + i + 1] = pos;
    }
    this.pos = pos;
  }

  protected grow(capacity: number): void {
    this.offsets = ensure(this.offsets, this.length + 1, capacity + 1);
    if (this.length > 0) {
      const bytes = Math.ceil((this.pos / this.length) * capacity * 1.05);
      if (bytes > this.data.length) this.data = ensure(this.data, this.pos, bytes);
    }
  }

  protected compactValues(from: number, keep: Uint8Array): void {
    let w = from;
    let pos = this.offsets[from];
    for (let r = from; r < this.length; r++) {
      if (!keep[r - from]) continue;
      const s = this.offsets[r];
      const len = this.offsets[r + 1] - s;
      this.data.copyWithin(pos, s, s + len);
      pos += len;
      this.offsets[++w] = pos;
    }
    this.pos = pos;
  }

  finish(): Vector {
    const n = this.length;
    const v = this.validity();
    const nulls = v ? { nullCount: v.nullCount, nullBitmap: v.bits } : { nullCount: 0 };
    const data = this.data.slice(0, this.pos);
    return makeVector(makeData({ type: new Utf8(), length: n, valueOffsets: this.offsets.slice(0, n + 1), data, ...nulls }));
  }
}
