import type { Vector } from "apache-arrow";
import type { ColumnDefinition } from "../definition/schema.js";
import { JsonNumber } from "../formats/json-number.js";
import { boolColumn } from "../parquet/columns.js";
import { compactRows, ensure } from "./growable.js";
import { Sink, kindOf } from "./sinks.js";

/** Default `true_values` of a bool column. */
export const BOOL_TRUE: readonly string[] = ["true", "t", "yes", "y", "1"];
/** Default `false_values` of a bool column. */
export const BOOL_FALSE: readonly string[] = ["false", "f", "no", "n", "0"];

/** Booleans from configurable true/false tokens (case-insensitive). */
export class BoolSink extends Sink {
  private values = new Uint8Array(0);
  private readonly truthy: Set<string>;
  private readonly falsy: Set<string>;

  constructor(def: ColumnDefinition) {
    super(def);
    this.truthy = new Set((def.true_values ?? BOOL_TRUE).map((t) => t.toLowerCase()));
    this.falsy = new Set((def.false_values ?? BOOL_FALSE).map((t) => t.toLowerCase()));
  }

  bytesAt(at: number, buf: Uint8Array, s: number, e: number): string | null {
    return this.textAt(at, Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString("utf8"));
  }

  override textAt(at: number, v: string): string | null {
    const t = v.toLowerCase();
    if (this.truthy.has(t)) this.values[at] = 1;
    else if (this.falsy.has(t)) this.values[at] = 0;
    else return `not a boolean (expected one of ${[...this.truthy, ...this.falsy].join(", ")})`;
    return null;
  }

  nativeAt(at: number, v: unknown): string | null {
    if (typeof v === "number" || v instanceof JsonNumber) return this.textAt(at, String(v.valueOf()));
    if (typeof v !== "boolean") return `${kindOf(v)}, not a boolean`;
    this.values[at] = v ? 1 : 0;
    return null;
  }

  protected grow(capacity: number): void {
    this.values = ensure(this.values, this.length, capacity);
  }

  protected compactValues(from: number, keep: Uint8Array): void {
    compactRows(this.values, from, this.length, keep);
  }

  finish(): Vector {
    return boolColumn(this.values.subarray(0, this.length), this.validity());
  }
}
