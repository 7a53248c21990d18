import { makeData, makeVector, Table, Type, Utf8, type Vector } from "apache-arrow";
import { Op } from "../src/delta";
import type { DatasetDefinition } from "../src/definition";
import { hashColumns, hashWordsFromBytes, keyHashBytes } from "../src/hash";
import { fixedBinaryColumn, utf8Column } from "../src/parquet";
import type { HashSet128 } from "../src/table/hash-set";
import { takeRows, whereRows } from "../src/table/take";

/** Column names of a dataset, in definition order. */
export function datasetColumns(definition: DatasetDefinition): string[] {
  return definition.schema.columns.map((c) => c.name);
}

/** A Utf8 column repeating `value`. */
export function constantUtf8(value: string, length: number): Vector {
  const bytes = new TextEncoder().encode(value);
  const values = new Uint8Array(bytes.length * length);
  const offsets = new Int32Array(length + 1);
  for (let j = 0; j < length; j++) {
    values.set(bytes, j * bytes.length);
    offsets[j + 1] = (j + 1) * bytes.length;
  }
  return makeVector(makeData({ type: new Utf8(), length, valueOffsets: offsets, data: values }));
}

/** Dictionary-encoded string columns decoded to plain Utf8, so tables from different files concatenate. */
export function plainStrings(table: Table): Table {
  if (!table.schema.fields.some((f) => f.type.typeId === Type.Dictionary)) return table;
  const columns: Record<string, Vector> = {};
  for (const f of table.schema.fields) {
    const v = table.getChild(f.name)!;
    columns[f.name] = f.type.typeId === Type.Dictionary ? utf8Column(Array.from({ length: v.length }, (_, i) => v.get(i) as string | null)) : v;
  }
  return new Table(columns);
}

/** `names` of `table` followed by `extra` columns. */
export function selectWith(table: Table, names: string[], extra: Record<string, Vector> = {}): Table {
  const columns: Record<string, Vector> = {};
  for (const n of names) columns[n] = table.getChild(n)!;
  return new Table({ ...columns, ...extra });
}

/** Key hash words of the key columns of `table`. */
export function keyHashesOf(table: Table, definition: DatasetDefinition): Uint32Array {
  return hashColumns(table, definition.schema.key);
}

/** Hash words (4 per row) of a FixedSizeBinary(16) `_key_hash`-style column, without per-row decoding. */
export function hashWordsOfColumn(vector: Vector): Uint32Array {
  if (vector.data.length === 1) return hashWordsFromBytes((vector.data[0].values as Uint8Array).subarray(0, vector.length * 16));
  const bytes = new Uint8Array(vector.length * 16);
  let at = 0;
  for (const d of vector.data) {
    bytes.set((d.values as Uint8Array).subarray(0, d.length * 16), at);
    at += d.length * 16;
  }
  return hashWordsFromBytes(bytes);
}

/** A Utf8 `_op` column: "insert" for rows whose op is `Op.INSERT`, "update" otherwise. */
export function opColumn(ops: ArrayLike<number>, rows: Int32Array): Vector {
  const insert = new TextEncoder().encode("insert");
  const update = new TextEncoder().encode("update");
  const values = new Uint8Array(rows.length * 6);
  const offsets = new Int32Array(rows.length + 1);
  for (let j = 0; j < rows.length; j++) {
    const word = ops[rows[j]] === Op.INSERT ? insert : update;
    const at = j * 6;
    for (let b = 0; b < 6; b++) values[at + b] = word[b];
    offsets[j + 1] = at + 6;
  }
  return makeVector(makeData({ type: new Utf8(), length: rows.length, valueOffsets: offsets, data: values }));
}

/** Rows of `table` whose key hash is (or, with `keep: false`, is not) in `keys`, with a `_key_hash` column. */
export function rowsByKey(table: Table, definition: DatasetDefinition, keys: HashSet128, keep: boolean): { rows: Table; hashes: Vector } {
  const words = keyHashesOf(table, definition);
  const rows = whereRows(table.numRows, (i) => keys.has(words, i) === keep);
  const chosen = new Uint32Array(rows.length * 4);
  for (let j = 0; j < rows.length; j++) chosen.set(words.subarray(rows[j] * 4, rows[j] * 4 + 4), j * 4);
  return { rows: takeRows(table, rows), hashes: fixedBinaryColumn(keyHashBytes(chosen), 16) };
}

/** Rows of `tables` one after another; their columns must have identical names and types. */
export function concatTables(tables: Table[]): Table {
  const nonEmpty = tables.filter((t) => t.numRows > 0);
  if (nonEmpty.length === 0) return tables[0];
  const [first, ...rest] = nonEmpty;
  const shape = (t: Table) => t.schema.fields.map((f) => `${f.name}:${f.type}`).join(",");
  for (const t of rest) {
    if (shape(t) !== shape(first)) throw new Error(`Cannot concatenate tables of different shapes (${shape(first)} vs ${shape(t)}).`);
  }
  return rest.length === 0 ? first : first.concat(...rest);
}
