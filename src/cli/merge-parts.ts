import type { Table } from "apache-arrow";
import { batchRows, type Cell } from "./render";

function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function keyRows(table: Table, key: string[]): Cell[][] {
  const at = key.map((k) => table.schema.fields.findIndex((f) => f.name === k));
  const rows: Cell[][] = [];
  for (const batch of table.batches) for (const row of batchRows(batch)) rows.push(at.map((c) => row[c]));
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
      const c = compareCells(a[i], b[i]);
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
