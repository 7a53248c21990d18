import type { Vector } from "apache-arrow";
import type { ColumnDefinition } from "../definition/schema.js";
import { JsonNumber } from "../formats/json-number.js";
import { utf8Column } from "../parquet/columns.js";
import { numberFailure, parseDecimal } from "./numbers.js";
import { Sink, encodeScratch, kindOf } from "./sinks.js";

/** Exact decimals kept as canonical strings. */
export class DecimalSink extends Sink {
  private values: (string | null)[] = [];
  constructor(
    def: ColumnDefinition,
    private readonly dec: number,
  ) {
    super(def);
  }

  bytesAt(at: number, buf: Uint8Array, s: number, e: number): string | null {
    const v = parseDecimal(buf, s, e, this.dec);
    this.values[at] = v ?? null;
    return v === undefined ? numberFailure("not a decimal number", buf, s, e, this.dec) : null;
  }

  nativeAt(at: number, v: unknown): string | null {
    if (typeof v !== "number" && typeof v !== "bigint" && !(v instanceof JsonNumber)) return `${kindOf(v)}, not a decimal number`;
    const [buf, n] = encodeScratch(String(v));
    const r = parseDecimal(buf, 0, n, 46);
    this.values[at] = r ?? null;
    return r === undefined ? "not a finite number" : null;
  }

  override nullAt(at: number): void {
    super.nullAt(at);
    this.values[at] = null;
  }

  protected grow(): void {}

  protected compactValues(from: number, keep: Uint8Array): void {
    const tail = this.values.slice(from, this.length).filter((_, j) => keep[j]);
    this.values.length = from;
    this.values.push(...tail);
  }

  finish(): Vector {
    return utf8Column(this.values.slice(0, this.length));
  }
}
