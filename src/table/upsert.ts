import { type Table, Type } from "apache-arrow";
import { keyComparator } from "./sort";

const EXACT = new Set<Type>([Type.Utf8, Type.Int, Type.Date, Type.Timestamp]);

/**
 * Whether {@link keyComparator} finds two rows equal exactly when their `columns` hold equal
 * values (strings, integers, dates, timestamps; not floats, where -0 = 0 and NaN compares equal
 * to everything, nor dictionary or boolean columns).
 */
export function exactKeyColumns(table: Table, columns: string[]): boolean {
  return columns.every((c) => {
    const type = table.getChild(c)?.type;
    return type !== undefined && EXACT.has(type.typeId);
  });
}

/**
 * Row order of `table` sorted by `columns` (nulls first) that keeps only the last row of each key:
 * a row replaces every earlier row with the same key. Use it to apply changes appended after a
 * base state; the columns should satisfy {@link exactKeyColumns}.
 */
export function lastRowPerKey(table: Table, columns: string[]): Int32Array {
  const same = keyComparator(table, columns);
  const n = table.numRows;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = same(i - 1, i) < 0;
  if (!sorted) {
    const rows = Array.from(order);
    rows.sort((x, y) => same(x, y) || x - y);
    order.set(rows);
  }
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && same(order[i], order[i + 1]) === 0) continue;
    order[m++] = order[i];
  }
  return order.subarray(0, m);
}
