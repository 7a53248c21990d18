/**
 * Unpivot (wide → long): each source row becomes one row per value column, with
 * the id columns repeated, the value column's header in `name_to` and its cell
 * in `value_to`. CSV byte ranges are gathered without creating strings.
 */
import type { UnpivotDefinition } from "../definition/schema.js";
import { type RawBatch, type RawColumn, type RowProblem, SimpleBatch, TextColumn, ValueColumn } from "../formats/types.js";
import { MissingColumnError } from "./errors.js";

/** Which source columns an unpivot reads, resolved against a batch's names. */
export interface UnpivotPlan {
  readonly ids: readonly number[];
  readonly values: readonly number[];
}

/** Resolves `u` against `names`; throws {@link MissingColumnError} for an absent id or value column. */
export function planUnpivot(u: UnpivotDefinition, names: readonly string[], fileLabel: string): UnpivotPlan {
  const index = (name: string, what: string) => {
    const i = names.indexOf(name);
    if (i < 0) throw new MissingColumnError(fileLabel, name, names, what);
    return i;
  };
  const ids = u.id_columns.map((c, j) => index(c, `unpivot.id_columns[${j}]`));
  let values: number[];
  if (u.value_columns) values = u.value_columns.map((c, j) => index(c, `unpivot.value_columns[${j}]`));
  else {
    const re = u.value_pattern !== undefined ? new RegExp(u.value_pattern) : undefined;
    values = names.map((_, i) => i).filter((i) => !ids.includes(i) && names[i] !== "" && (re === undefined || re.test(names[i])));
  }
  return { ids, values };
}

function isEmpty(col: RawColumn, i: number, nulls: ReadonlySet<string>): boolean {
  if (col instanceof TextColumn) {
    const s = col.start(i);
    if (s < 0) return true;
    let e = col.end(i);
    let p = s;
    while (p < e && (col.buf[p] === 32 || col.buf[p] === 9)) p++;
    while (e > p && (col.buf[e - 1] === 32 || col.buf[e - 1] === 9)) e--;
    if (p === e) return nulls.has("");
    if (nulls.size === 1 && !col.overrides) return false;
  }
  const t = col.text(i);
  return t === null || nulls.has(t.trim());
}

function gather(cols: readonly RawColumn[], colOf: Int32Array, rowOf: Int32Array, m: number): RawColumn {
  const first = cols[0];
  const sameText = first instanceof TextColumn && cols.every((c) => c instanceof TextColumn && c.buf === first.buf && c.decode === first.decode);
  if (sameText) {
    const cells = new Int32Array(2 * m);
    let overrides: Map<number, string> | undefined;
    for (let j = 0; j < m; j++) {
      const c = cols[colOf[j]] as TextColumn;
      const r = rowOf[j];
      cells[2 * j] = c.start(r);
      cells[2 * j + 1] = c.end(r);
      const o = c.overrides?.get(r);
      if (o !== undefined) (overrides ??= new Map()).set(j, o);
    }
    return new TextColumn(first.buf, cells, 2, 0, m, first.decode, overrides);
  }
  const values = new Array<unknown>(m);
  for (let j = 0; j < m; j++) values[j] = cols[colOf[j]].value(rowOf[j]);
  return new ValueColumn(values);
}

/** The long form of `batch` under `plan`; empty values are skipped when `u.skip_empty`. */
export function unpivotBatch(batch: RawBatch, u: UnpivotDefinition, plan: UnpivotPlan, nulls: ReadonlySet<string>): RawBatch {
  const n = batch.length;
  const v = plan.values.length;
  const valueCols = plan.values.map((i) => batch.column(i));
  const colOf = new Int32Array(n * v);
  const rowOf = new Int32Array(n * v);
  const rows = new Int32Array(n * v);
  const headers: string[] = [];
  const problems: RowProblem[] = [];
  const problemOf = new Map(batch.problems.map((p) => [p.index, p.reason]));
  let m = 0;
  for (let r = 0; r < n; r++) {
    const reason = problemOf.get(r);
    let emitted = false;
    for (let c = 0; c < v; c++) {
      if (u.skip_empty && isEmpty(valueCols[c], r, nulls)) continue;
      if (reason !== undefined && !emitted) problems.push({ index: m, reason });
      emitted = true;
      colOf[m] = c;
      rowOf[m] = r;
      rows[m] = batch.rows[r];
      headers.push(batch.names[plan.values[c]]);
      m++;
    }
  }
  const idCols = plan.ids.map((i) => gather([batch.column(i)], new Int32Array(m), rowOf, m));
  const names = [...u.id_columns, u.name_to, u.value_to];
  const columns = [...idCols, new ValueColumn(headers), v === 0 ? new ValueColumn(new Array(m).fill(null)) : gather(valueCols, colOf, rowOf, m)];
  return new SimpleBatch(names, batch.namesComplete, rows.subarray(0, m), columns, problems);
}
