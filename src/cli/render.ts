import { DataType, type Field, type RecordBatch, type Table, TimeUnit, type Timestamp, type Vector } from "apache-arrow";

import type { Cell } from "./text-table";

export type { Cell } from "./text-table";
export { textTable } from "./text-table";

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function isoTimestamp(raw: bigint, unit: TimeUnit): string {
  const perMs = { [TimeUnit.SECOND]: 0n, [TimeUnit.MILLISECOND]: 1n, [TimeUnit.MICROSECOND]: 1000n, [TimeUnit.NANOSECOND]: 1_000_000n }[unit];
  if (perMs === 0n) return new Date(Number(raw) * 1000).toISOString();
  const ms = raw / perMs - (raw % perMs < 0n ? 1n : 0n);
  const rest = raw - ms * perMs;
  const base = new Date(Number(ms)).toISOString();
  if (rest === 0n) return base;
  const digits = perMs === 1000n ? 3 : 6;
  return `${base.slice(0, -1)}${rest.toString().padStart(digits, "0")}Z`;
}

/** Reads cell `i` of a column of one record batch, dates as YYYY-MM-DD, timestamps as ISO-8601 UTC, 64-bit integers exactly. */
export function cellReader(vector: Vector, field: Field): (i: number) => Cell {
  const type = field.type;
  const data = vector.data[0];
  if (DataType.isDate(type)) {
    return (i) => (vector.isValid(i) ? isoDate(vector.get(i) as number) : null);
  }
  if (DataType.isTimestamp(type)) {
    const values = data.values as BigInt64Array;
    const unit = (type as Timestamp).unit;
    return (i) => (vector.isValid(i) ? isoTimestamp(values[i], unit) : null);
  }
  return (i) => {
    if (!vector.isValid(i)) return null;
    const v = vector.get(i) as unknown;
    if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
    if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
    return v == null ? null : String(v);
  };
}

/** Rows of a record batch as arrays of cells, in column order. */
export function* batchRows(batch: RecordBatch): Generator<Cell[]> {
  const readers = batch.schema.fields.map((f, c) => cellReader(batch.getChildAt(c)!, f));
  for (let i = 0; i < batch.numRows; i++) yield readers.map((read) => read(i));
}

/** Rows of a table as objects keyed by column name. */
export function tableObjects(table: Table, limit = Infinity): Record<string, Cell>[] {
  const names = table.schema.fields.map((f) => f.name);
  const out: Record<string, Cell>[] = [];
  for (const batch of table.batches) {
    for (const row of batchRows(batch)) {
      if (out.length >= limit) return out;
      out.push(Object.fromEntries(names.map((n, c) => [n, row[c]])));
    }
  }
  return out;
}

/** One CSV field (RFC 4180): quoted when it holds a delimiter, quote, line break or edge whitespace; null is empty; a negative zero is `-0`. */
export function csvField(cell: Cell): string {
  if (cell === null) return "";
  const text = Object.is(cell, -0) ? "-0" : String(cell);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line ending in CRLF-free "\n". */
export function csvLine(cells: Cell[]): string {
  return `${cells.map(csvField).join(",")}\n`;
}

/** One NDJSON line; non-finite doubles become null, a negative zero `-0.0` (`JSON.stringify` writes it `0`). */
export function jsonLine(names: string[], cells: Cell[]): string {
  const fields = names.map((n, c) => {
    const v = cells[c];
    const text = Object.is(v, -0) ? "-0.0" : JSON.stringify(typeof v === "number" && !Number.isFinite(v) ? null : v);
    return `${JSON.stringify(n)}:${text}`;
  });
  return `{${fields.join(",")}}\n`;
}
