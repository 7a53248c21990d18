import { DataType, type Table } from "apache-arrow";
import {
  Validity,
  boolColumn,
  date32Column,
  dictUtf8Column,
  fixedBinaryColumn,
  float64Column,
  int64Column,
  tableFrom,
  timestampColumn,
  utf8Column,
} from "../../src/parquet";

/** One row of {@link allTypesTable} as plain JS values (null = SQL NULL). */
export interface AllTypesRow {
  id: bigint;
  s: string | null;
  d: string | null;
  i: bigint | null;
  f: number | null;
  dt: number | null;
  ts: bigint | null;
  b: boolean | null;
  h: string | null;
}

/** Arrow type strings of {@link allTypesTable}'s columns. */
export const ALL_TYPES_SCHEMA: Record<keyof AllTypesRow, string> = {
  id: "Int64",
  s: "Utf8",
  d: "Dictionary<Int32, Utf8>",
  i: "Int64",
  f: "Float64",
  dt: "Date32<DAY>",
  ts: "Timestamp<MICROSECOND, UTC>",
  b: "Bool",
  h: "FixedSizeBinary[16]",
};

const STRINGS = ["plain", "", "ünïcödé", "日本語", "emoji 😀 tail", "a\u0000b", "x".repeat(300)];
const GROUPS = ["DE", "FR", "IT", "ES"];
const FLOATS = [1.5, Number.NaN, -0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308, -2.5e-300, 42];
const INTS = [0n, 1n, -1n, 9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n, 123456789012345n];
const DAYS = [0, 1, -1, 19723, -719162, 2932896, 20000];
const MICROS = [0n, 1n, -1n, 1706695200123456n, -62135596800000000n, 253402300799999999n, 1700000000000001n];

/**
 * A table with every column kind the codec must carry, `n` rows, nulls in every
 * nullable column at different positions (`id` is never null).
 */
export function allTypesTable(n = 50): { table: Table; rows: AllTypesRow[] } {
  const nullEvery = (k: number, shift: number) => (i: number) => (i + shift) % k === 0;
  const rows: AllTypesRow[] = [];
  const hashes = new Uint8Array(16 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 16; j++) hashes[16 * i + j] = (i * 31 + j * 7) & 0xff;
    rows.push({
      id: BigInt(i),
      s: nullEvery(5, 1)(i) ? null : STRINGS[i % STRINGS.length],
      d: nullEvery(6, 2)(i) ? null : GROUPS[i % GROUPS.length],
      i: nullEvery(7, 3)(i) ? null : INTS[i % INTS.length],
      f: nullEvery(4, 1)(i) ? null : FLOATS[i % FLOATS.length],
      dt: nullEvery(8, 5)(i) ? null : DAYS[i % DAYS.length],
      ts: nullEvery(9, 4)(i) ? null : MICROS[i % MICROS.length],
      b: nullEvery(3, 2)(i) ? null : i % 2 === 0,
      h: nullEvery(10, 7)(i) ? null : Buffer.from(hashes.subarray(16 * i, 16 * i + 16)).toString("hex"),
    });
  }
  const validity = (key: keyof AllTypesRow) => Validity.from(n, (i) => rows[i][key] === null);
  const table = tableFrom({
    id: int64Column(BigInt64Array.from(rows, (r) => r.id)),
    s: utf8Column(rows.map((r) => r.s)),
    d: dictUtf8Column(rows.map((r) => r.d)),
    i: int64Column(BigInt64Array.from(rows, (r) => r.i ?? 0n), validity("i")),
    f: float64Column(Float64Array.from(rows, (r) => r.f ?? 0), validity("f")),
    dt: date32Column(Int32Array.from(rows, (r) => r.dt ?? 0), validity("dt")),
    ts: timestampColumn(BigInt64Array.from(rows, (r) => r.ts ?? 0n), validity("ts")),
    b: boolColumn(rows.map((r) => r.b ?? false), validity("b")),
    h: fixedBinaryColumn(hashes, 16, validity("h")),
  });
  return { table, rows };
}

/**
 * Reads row `i` of an Arrow table into plain values: dates as days, timestamps
 * as raw bigint units, binary as hex, other types as Arrow returns them.
 */
export function readRow(table: Table, i: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of table.schema.fields) {
    const col = table.getChild(field.name)!;
    if (!col.isValid(i)) out[field.name] = null;
    else if (DataType.isDate(field.type) || DataType.isTimestamp(field.type)) out[field.name] = rawAt(col.data, i);
    else if (DataType.isFixedSizeBinary(field.type) || DataType.isBinary(field.type)) out[field.name] = Buffer.from(col.get(i) as Uint8Array).toString("hex");
    else out[field.name] = col.get(i);
  }
  return out;
}

function rawAt(chunks: readonly { length: number; values: ArrayLike<unknown> }[], i: number): unknown {
  for (const chunk of chunks) {
    if (i < chunk.length) return chunk.values[i];
    i -= chunk.length;
  }
  throw new RangeError(`row ${i} out of range`);
}
