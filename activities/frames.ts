import { Table, Type, type Vector } from "apache-arrow";
import type { DatasetDefinition } from "../src/definition";
import { hashColumns, hashToHex, hashWordsFromBytes, keyHashBytes } from "../src/hash";
import { fixedBinaryColumn, utf8Column } from "../src/parquet";
import { takeRows, whereRows } from "../src/table/take";

/** Column names of a dataset, in definition order. */
export function datasetColumns(definition: DatasetDefinition): string[] {
  return definition.schema.columns.map((c) => c.name);
}

/** A Utf8 column repeating `value`. */
export function constantUtf8(value: string, length: number): Vector {
  return utf8Column(new Array<string>(length).fill(value));
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

/** Key hashes (hex) of a FixedSizeBinary(16) `_key_hash`-style column. */
export function hexesOfHashColumn(vector: Vector): string[] {
  const out: string[] = new Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = hashToHex(hashWordsFromBytes(vector.get(i) as Uint8Array));
  return out;
}

/** Key hash words of the key columns of `table`. */
export function keyHashesOf(table: Table, definition: DatasetDefinition): Uint32Array {
  return hashColumns(table, definition.schema.key);
}

/** Rows of `table` whose key hash is (or, with `keep: false`, is not) in `keys`, with a `_key_hash` column. */
export function rowsByKey(table: Table, definition: DatasetDefinition, keys: Set<string>, keep: boolean): { rows: Table; hashes: Vector } {
  const words = keyHashesOf(table, definition);
  const rows = whereRows(table.numRows, (i) => keys.has(hashToHex(words, i)) === keep);
  const bytes = new Uint8Array(rows.length * 16);
  rows.forEach((r, j) => bytes.set(keyHashBytes(words, r, r + 1), j * 16));
  return { rows: takeRows(table, rows), hashes: fixedBinaryColumn(bytes, 16) };
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
