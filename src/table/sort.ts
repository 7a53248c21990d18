import { type Data, type Table, Type, type Vector } from "apache-arrow";

type Comparable = (number | bigint | string | boolean | null)[];

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return false;
  return true;
}

function utf8Strings(data: Data, out: Comparable, row: number): boolean {
  const offsets = data.valueOffsets as Int32Array;
  const values = data.values as Uint8Array;
  const used = values.subarray(offsets[0], offsets[data.length]);
  if (!isAscii(used)) return false;
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

/** Row order of `table` sorted by `columns` ascending (nulls first); stable. */
export function sortPermutation(table: Table, columns: string[]): Int32Array {
  const keys = columns.map((c) => comparable(table.getChild(c)!));
  const compare = (x: number, y: number): number => {
    for (const k of keys) {
      const c = cmp(k[x], k[y]);
      if (c !== 0) return c;
    }
    return x - y;
  };
  const n = table.numRows;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = compare(i - 1, i) < 0;
  if (sorted) return Int32Array.from({ length: n }, (_, i) => i);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort(compare);
  return Int32Array.from(order);
}
