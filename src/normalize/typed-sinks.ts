/** Numeric and temporal sinks (Float64, Int64, Date32, Timestamp µs UTC) and the sink factory. */
import type { Vector } from "apache-arrow";
import type { ColumnDefinition } from "../definition/schema.js";
import { JsonNumber } from "../formats/json-number.js";
import { ExactTimestamp, type RawColumn, TextColumn, floorDiv } from "../formats/types.js";
import { date32Column, float64Column, int64Column, timestampColumn } from "../parquet/columns.js";
import { type CastContext, castCell, isToken } from "./cast.js";
import { type DatePattern, type DateTimeParts, compileDatePattern, parseIsoDate, parseIsoTimestamp, parseWithPattern } from "./datetime.js";
import { compactRows, ensure } from "./growable.js";
import { numberFailure, parseDouble, parseInteger } from "./numbers.js";
import { inPartitionRange, partitionRangeReason } from "./partition-range.js";
import { BoolSink } from "./bool-sink.js";
import { DecimalSink } from "./decimal-sink.js";
import { type Sink as BaseSink, Sink, StringSink, encodeScratch, kindOf } from "./sinks.js";

const DAY_MS = 86_400_000;
const DAY_US = 86_400_000_000;
const DAY_US_BIG = 86_400_000_000n;
const TWO32 = 4294967296;

/** Float64 values. */
export class DoubleSink extends Sink {
  private values = new Float64Array(0);
  constructor(
    def: ColumnDefinition,
    private readonly dec: number,
  ) {
    super(def);
  }

  bytesAt(at: number, buf: Uint8Array, s: number, e: number): string | null {
    const v = parseDouble(buf, s, e, this.dec);
    if (v === undefined) return numberFailure("not a number", buf, s, e, this.dec);
    this.values[at] = v;
    return null;
  }

  nativeAt(at: number, v: unknown): string | null {
    if (typeof v === "number") this.values[at] = v;
    else if (typeof v === "bigint" || v instanceof JsonNumber) this.values[at] = Number(v);
    else return `${kindOf(v)}, not a number`;
    return null;
  }

  protected override fill(col: RawColumn, n: number, start: number, ctx: CastContext): void {
    if (!(col instanceof TextColumn)) return super.fill(col, n, start, ctx);
    const { buf, cells, stride, offset, overrides } = col;
    const { nulls, trim, nullReason, onBad } = ctx;
    const tokens = nulls.bytes;
    const values = this.values;
    const dec = this.dec;
    for (let i = 0; i < n; i++) {
      const k = i * stride + offset;
      let s = cells[k];
      if (s < 0 || (overrides !== undefined && overrides.has(i))) {
        castCell(this, start + i, col, i, ctx);
        continue;
      }
      let e = cells[k + 1];
      if (trim) {
        while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
        while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
      }
      if (s === e ? nulls.empty : tokens.length > 0 && isToken(buf, s, e, tokens)) {
        this.nullAt(start + i);
        if (nullReason !== null) onBad(i, null, nullReason);
        continue;
      }
      const v = parseDouble(buf, s, e, dec);
      if (v !== undefined) values[start + i] = v;
      else {
        this.nullAt(start + i);
        onBad(i, col.decode(buf, s, e), numberFailure("not a number", buf, s, e, dec));
      }
    }
  }

  protected grow(capacity: number): void {
    this.values = ensure(this.values, this.length, capacity);
  }

  protected compactValues(from: number, keep: Uint8Array): void {
    compactRows(this.values, from, this.length, keep);
  }

  finish(): Vector {
    return float64Column(this.values.subarray(0, this.length), this.validity());
  }
}

/** Int64 storage as little-endian Int32 halves, so safe integers need no BigInt. */
abstract class Int64Sink extends Sink {
  protected halves = new Int32Array(0);

  protected put(at: number, v: number | bigint): void {
    if (typeof v === "bigint") {
      new BigInt64Array(this.halves.buffer, this.halves.byteOffset, this.halves.length >> 1)[at] = v;
      return;
    }
    const hi = Math.floor(v / TWO32);
    this.halves[2 * at] = (v - hi * TWO32) | 0;
    this.halves[2 * at + 1] = hi;
  }

  protected grow(capacity: number): void {
    this.halves = ensure(this.halves, 2 * this.length, 2 * capacity);
  }

  protected compactValues(from: number, keep: Uint8Array): void {
    compactRows(this.halves, from, this.length, keep, 2);
  }

  protected int64s(): BigInt64Array {
    return new BigInt64Array(this.halves.buffer, this.halves.byteOffset, this.length);
  }
}

/** Int64 values. */
export class IntSink extends Int64Sink {
  constructor(
    def: ColumnDefinition,
    private readonly dec: number,
  ) {
    super(def);
  }

  bytesAt(at: number, buf: Uint8Array, s: number, e: number): string | null {
    const v = parseInteger(buf, s, e, this.dec);
    if (v === undefined) return numberFailure("not an integer", buf, s, e, this.dec);
    if (v === "range") return "outside the 64-bit integer range";
    this.put(at, v);
    return null;
  }

  nativeAt(at: number, v: unknown): string | null {
    if (typeof v === "bigint") {
      if (v > 9223372036854775807n || v < -9223372036854775808n) return "outside the 64-bit integer range";
      this.put(at, v);
    } else if (v instanceof JsonNumber) {
      const [buf, n] = encodeScratch(v.text);
      const r = parseInteger(buf, 0, n, 46);
      if (r === undefined) return "not an integer";
      if (r === "range") return "outside the 64-bit integer range";
      this.put(at, r);
    } else if (typeof v === "number" && Number.isSafeInteger(v)) this.put(at, v);
    else if (typeof v === "number") return Number.isInteger(v) ? "too large to be an exact integer" : "not an integer";
    else return `${kindOf(v)}, not an integer`;
    return null;
  }

  finish(): Vector {
    return int64Column(this.int64s(), this.validity());
  }
}

/**
 * Date32 (`date`) or Timestamp(µs, UTC) (`timestamp`) values; day numbers are kept for partition
 * months. The partition column's sink also refuses UTC dates outside the partition years.
 */
export class TemporalSink extends Int64Sink {
  private days = new Int32Array(0);
  private readonly pattern: DatePattern | undefined;
  private readonly parts: DateTimeParts = { days: 0, micros: 0 };
  private readonly isDate: boolean;
  private readonly failure: string;
  private readonly outOfRange: string | null;

  constructor(def: ColumnDefinition, partition = false) {
    super(def);
    this.outOfRange = partition ? partitionRangeReason(def.type === "date" ? "date" : "timestamp") : null;
    const p = def.format !== undefined ? compileDatePattern(def.format) : undefined;
    this.pattern = typeof p === "string" ? undefined : p;
    this.isDate = def.type === "date";
    const expected = def.format ?? (this.isDate ? "YYYY-MM-DD" : "ISO 8601 (YYYY-MM-DD[THH:mm[:ss[.SSS]]][Z|±HH:mm])");
    this.failure = `not a ${this.isDate ? "date" : "timestamp"} in the format ${expected}`;
  }

  private store(at: number): string | null {
    const p = this.parts;
    if (this.outOfRange !== null && !inPartitionRange(p.days)) return this.outOfRange;
    this.days[at] = p.days;
    if (!this.isDate) {
      const us = p.days * DAY_US + p.micros;
      this.put(at, Number.isSafeInteger(us) ? us : BigInt(p.days) * BigInt(DAY_US) + BigInt(p.micros));
    }
    return null;
  }

  bytesAt(at: number, buf: Uint8Array, s: number, e: number): string | null {
    const p = this.parts;
    p.impossible = false;
    const ok = this.pattern ? parseWithPattern(this.pattern, buf, s, e, p) : this.isDate ? parseIsoDate(buf, s, e, p) : parseIsoTimestamp(buf, s, e, p);
    if (!ok) return p.impossible ? `not a real calendar ${this.isDate ? "date" : "date and time"}` : this.failure;
    return this.store(at);
  }

  nativeAt(at: number, v: unknown): string | null {
    if (typeof v === "number" || typeof v === "bigint") return this.textAt(at, String(v));
    if (v instanceof JsonNumber) return this.textAt(at, String(v.valueOf()));
    if (!(v instanceof Date) || Number.isNaN(v.getTime())) return `${kindOf(v)}, not a ${this.isDate ? "date" : "timestamp"}`;
    if (v instanceof ExactTimestamp) {
      const days = floorDiv(v.micros, DAY_US_BIG);
      this.parts.days = Number(days);
      this.parts.micros = Number(v.micros - days * DAY_US_BIG);
      return this.store(at);
    }
    const ms = v.getTime();
    this.parts.days = Math.floor(ms / DAY_MS);
    this.parts.micros = (ms - this.parts.days * DAY_MS) * 1000;
    return this.store(at);
  }

  protected override fill(col: RawColumn, n: number, start: number, ctx: CastContext): void {
    if (!(col instanceof TextColumn) || this.pattern !== undefined || !this.isDate) return super.fill(col, n, start, ctx);
    const { buf, cells, stride, offset, overrides } = col;
    const { nulls, trim, nullReason, onBad } = ctx;
    const tokens = nulls.bytes;
    const days = this.days;
    const p = this.parts;
    for (let i = 0; i < n; i++) {
      const k = i * stride + offset;
      let s = cells[k];
      if (s < 0 || (overrides !== undefined && overrides.has(i))) {
        castCell(this, start + i, col, i, ctx);
        continue;
      }
      let e = cells[k + 1];
      if (trim) {
        while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
        while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
      }
      if (s === e ? nulls.empty : tokens.length > 0 && isToken(buf, s, e, tokens)) {
        this.nullAt(start + i);
        if (nullReason !== null) onBad(i, null, nullReason);
        continue;
      }
      if (parseIsoDate(buf, s, e, p) && (this.outOfRange === null || inPartitionRange(p.days))) days[start + i] = p.days;
      else {
        this.nullAt(start + i);
        onBad(i, col.decode(buf, s, e), this.bytesAt(start + i, buf, s, e) ?? this.failure);
      }
    }
  }

  protected override grow(capacity: number): void {
    this.days = ensure(this.days, this.length, capacity);
    if (!this.isDate) super.grow(capacity);
  }

  protected override compactValues(from: number, keep: Uint8Array): void {
    compactRows(this.days, from, this.length, keep);
    if (!this.isDate) super.compactValues(from, keep);
  }

  /** Day number of every row (0 for nulls). */
  dayValues(): Int32Array {
    return this.days.subarray(0, this.length);
  }

  finish(): Vector {
    return this.isDate ? date32Column(this.days.slice(0, this.length), this.validity()) : timestampColumn(this.int64s(), this.validity());
  }
}

/** The sink for a column definition; `dec` is the decimal separator's char code; `partition` marks the partition column. */
export function sinkFor(def: ColumnDefinition, dec: number, partition = false): BaseSink {
  switch (def.type) {
    case "string":
      return new StringSink(def);
    case "double":
      return new DoubleSink(def, dec);
    case "int":
      return new IntSink(def, dec);
    case "decimal":
      return def.decimal === "double" ? new DoubleSink(def, dec) : new DecimalSink(def, dec);
    case "bool":
      return new BoolSink(def);
    case "date":
    case "timestamp":
      return new TemporalSink(def, partition);
  }
}
