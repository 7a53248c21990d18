import { type Table, Type, type Vector } from "apache-arrow";

type Comparable = (number | bigint | string | boolean | null)[];

function comparable(vector: Vector): Comparable {
  const out: Comparable = new Array(vector.length);
  const id = vector.type.typeId;
  const raw = id === Type.Date || id === Type.Timestamp || id === Type.Int;
  let row = 0;
  for (const data of vector.data) {
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
  const order = Array.from({ length: table.numRows }, (_, i) => i);
  order.sort((x, y) => {
    for (const k of keys) {
      const c = cmp(k[x], k[y]);
      if (c !== 0) return c;
    }
    return x - y;
  });
  return Int32Array.from(order);
}
