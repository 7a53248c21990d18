import { type Data, type Table, Type, type Vector } from "apache-arrow";
import { isAscii } from "node:buffer";
import { compactVector } from "./take";

type Comparable = (number | bigint | string | boolean | null)[];

/** Compares two rows: negative, zero or positive; nulls first. */
export type RowCompare = (x: number, y: number) => number;

function withNulls(data: Data, compare: RowCompare): RowCompare {
  if (data.nullCount === 0) return compare;
  return (x, y) => {
    const vx = data.getValid(x);
    const vy = data.getValid(y);
    if (vx && vy) return compare(x, y);
    return vx === vy ? 0 : vx ? 1 : -1;
  };
}

function asciiCompare(data: Data): RowCompare | null {
  const offsets = data.valueOffsets as Int32Array;
  const values = data.values as Uint8Array;
  if (!isAscii(values.subarray(offsets[0], offsets[data.length]))) return null;
  return withNulls(data, (x, y) => {
    let i = offsets[x];
    let j = offsets[y];
    const endX = offsets[x + 1];
    const endY = offsets[y + 1];
    for (; i < endX && j < endY; i++, j++) {
      const d = values[i] - values[j];
      if (d !== 0) return d;
    }
    return endX - offsets[x] - (endY - offsets[y]);
  });
}

function rawCompare(data: Data): RowCompare {
  const values = data.values as Int32Array | BigInt64Array;
  const stride = data.stride;
  return withNulls(data, (x, y) => {
    const a = values[x * stride];
    const b = values[y * stride];
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

function utf8Strings(data: Data, out: Comparable, row: number): boolean {
  const offsets = data.valueOffsets as Int32Array;
  const values = data.values as Uint8Array;
  if (!isAscii(values.subarray(offsets[0], offsets[data.length]))) return false;
  const text = Buffer.from(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < data.length; i++) out[row + i] = data.getValid(i) ? text.toString("latin1", offsets[i], offsets[i + 1]) : null;
  return true;
}

function comparable(vector: Vector): Comparable {
  const out: Comparable = new Array(vector.length);
  const id = vector.type.typeId;
  const raw = id === Type.Date || id === Type.Timestamp || id === Type.Int;
  let row = 0;
  for (const data of vector.data) {
    if (id === Type.Utf8 && utf8Strings(data, out, row)) {
      row += data.length;
      continue;
    }
    for (let i = 0; i < data.length; i++, row++) {
      out[row] = !data.getValid(i) ? null : raw ? (data.values[i * data.stride] as number | bigint) : (vector.get(row) as string | number | boolean);
    }
  }
  return out;
}

function cmp(a: Comparable[number], b: Comparable[number]): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function valuesCompare(vector: Vector): RowCompare {
  const values = comparable(vector);
  return (x, y) => cmp(values[x], values[y]);
}

function bufferCompare(vector: Vector): RowCompare {
  const id = vector.type.typeId;
  if (id === Type.Utf8 || id === Type.Date || id === Type.Timestamp || id === Type.Int) {
    const data = compactVector(vector).data[0];
    if (data === undefined) return () => 0;
    if (id !== Type.Utf8) return rawCompare(data);
    const ascii = asciiCompare(data);
    if (ascii) return ascii;
  }
  return valuesCompare(vector);
}

function chain(keys: RowCompare[]): RowCompare {
  return (x, y) => {
    for (const k of keys) {
      const c = k(x, y);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/**
 * Compares two rows of `table` by `columns` (ascending, nulls first; 0 for equal keys). ASCII
 * strings, integers, dates and timestamps are compared in their Arrow buffers, without creating
 * JS values; other columns (non-ASCII strings by UTF-16 code units, floats, booleans) as JS values.
 */
export function keyComparator(table: Table, columns: string[]): RowCompare {
  return chain(columns.map((c) => bufferCompare(table.getChild(c)!)));
}

function identity(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/**
 * Row order of `table` sorted by `columns` ascending (nulls first); stable. Rows already in order
 * are recognised in the Arrow buffers ({@link keyComparator}); otherwise the key values are
 * materialised once and sorted as JS values.
 */
export function sortPermutation(table: Table, columns: string[]): Int32Array {
  const n = table.numRows;
  const inBuffers = keyComparator(table, columns);
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = inBuffers(i - 1, i) <= 0;
  if (sorted) return identity(n);
  const byValue = chain(columns.map((c) => valuesCompare(table.getChild(c)!)));
  const order = Array.from(identity(n));
  order.sort((x, y) => byValue(x, y) || x - y);
  return Int32Array.from(order);
}
