import { DataType, type Table, type Vector } from "apache-arrow";

/** A key value as the engine orders it: text, a 64-bit integer or timestamp (bigint), a number, a bool. */
type KeyValue = string | bigint | number | boolean | null;

/** `a` against `b` in code point order (UTF-8 byte order, as DuckDB sorts text), where `<` compares UTF-16 units. */
function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

function compareKeys(a: KeyValue, b: KeyValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === "string" && typeof b === "string") return compareText(a, b);
  if (typeof a === "number" && typeof b === "number" && (Number.isNaN(a) || Number.isNaN(b))) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads key values of one column of a record batch: timestamps as their raw bigint (a rendered one is text whose order is not time order). */
function keyReader(vector: Vector): (i: number) => KeyValue {
  if (DataType.isTimestamp(vector.type)) {
    const values = vector.data[0].values as BigInt64Array;
    return (i) => (vector.isValid(i) ? values[i] : null);
  }
  return (i) => (vector.isValid(i) ? (vector.get(i) as KeyValue) : null);
}

function keyRows(table: Table, key: string[]): KeyValue[][] {
  const at = key.map((k) => table.schema.fields.findIndex((f) => f.name === k));
  const rows: KeyValue[][] = [];
  for (const batch of table.batches) {
    const readers = at.map((c) => keyReader(batch.getChildAt(c)!));
    for (let i = 0; i < batch.numRows; i++) rows.push(readers.map((read) => read(i)));
  }
  return rows;
}

/**
 * The rows of a projection month's part files in key order: each part is sorted by key and a key lives
 * in exactly one part (SPEC §2), so a k-way merge of the parts, cut into runs of consecutive rows of
 * one part, gives the month sorted by key. The tables must share one schema (plain, not dictionary, strings).
 */
export function mergeSortedParts(tables: Table[], key: string[]): Table {
  if (tables.length === 1) return tables[0];
  const keys = tables.map((t) => keyRows(t, key));
  const next = tables.map(() => 0);
  const slices: Table[] = [];
  let run: { part: number; start: number } | null = null;
  const cmp = (p: number, q: number) => {
    const a = keys[p][next[p]];
    const b = keys[q][next[q]];
    for (let i = 0; i < key.length; i++) {
      const c = compareKeys(a[i], b[i]);
      if (c !== 0) return c;
    }
    return p - q;
  };
  for (;;) {
    let best = -1;
    for (let p = 0; p < tables.length; p++) if (next[p] < keys[p].length && (best < 0 || cmp(p, best) < 0)) best = p;
    if (run && run.part !== best) {
      slices.push(tables[run.part].slice(run.start, next[run.part]));
      run = null;
    }
    if (best < 0) break;
    run ??= { part: best, start: next[best] };
    next[best]++;
  }
  return slices.reduce((all, t) => all.concat(t));
}
