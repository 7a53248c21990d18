/**
 * Columnar 128-bit hashing of Arrow tables: one MurmurHash3 x86_128 per row
 * over the canonical encoding of the named columns (docs/hashing.md).
 */
import { type Data, RecordBatch, Table } from "apache-arrow";
import { ColumnCursor, UnsupportedColumnError, encodeRowInto } from "./encode";
import { LITTLE_ENDIAN } from "./hex";
import { murmur3x86_128 } from "./murmur3";

/** Words per row hash: 128 bits as four u32. */
export const HASH_WORDS = 4;

function batchesOf(source: Table | RecordBatch): readonly RecordBatch[] {
  return source instanceof RecordBatch ? [source] : source.batches;
}

function cursorsFor(batch: RecordBatch, columnNames: readonly string[]): ColumnCursor[] {
  return columnNames.map((name) => {
    const index = batch.schema.fields.findIndex((f) => f.name === name);
    if (index < 0) {
      const known = batch.schema.fields.map((f) => f.name).join(", ");
      throw new UnsupportedColumnError(name, `Column "${name}" is not in the table (columns: ${known}); check the dataset's schema.`);
    }
    const data = batch.data.children[index] as Data;
    return new ColumnCursor(data, name);
  });
}

function requireLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error("Tidemark hashing reads Arrow buffers as little-endian and this platform is big-endian.");
}

let scratch = new Uint8Array(4096);

function scratchFor(cols: readonly ColumnCursor[]): Uint8Array {
  let need = 0;
  for (const c of cols) need += c.maxBytes;
  if (need > scratch.length) scratch = new Uint8Array(Math.max(need, scratch.length * 2));
  return scratch;
}

/**
 * Hashes every row of `source` over `columnNames` (in that order) and returns
 * four u32 words per row (row `r` at `[4r, 4r + 4)`), written into `out` when
 * given (it must hold at least `4 * numRows` words).
 *
 * The key hash of a dataset is `hashColumns(table, key)`; the row hash is
 * `hashColumns(table, nonKeyColumnsInSchemaOrder)`. An empty column list gives
 * the hash of the empty string (all zero words).
 */
export function hashColumns(source: Table | RecordBatch, columnNames: readonly string[], out?: Uint32Array): Uint32Array {
  const target = hashTarget(source, out);
  for (const _ of hashSlices(source, columnNames, target, Number.POSITIVE_INFINITY));
  return target;
}

/**
 * {@link hashColumns} in slices of `sliceRows` rows, awaiting `pause` between slices so a long
 * table never blocks the event loop (heartbeats keep flowing). Same result.
 */
export async function hashColumnsSliced(source: Table | RecordBatch, columnNames: readonly string[], pause: () => Promise<void>, sliceRows = 1 << 16): Promise<Uint32Array> {
  const target = hashTarget(source);
  for (const _ of hashSlices(source, columnNames, target, sliceRows)) await pause();
  return target;
}

function hashTarget(source: Table | RecordBatch, out?: Uint32Array): Uint32Array {
  requireLittleEndian();
  const rows = source.numRows;
  const target = out ?? new Uint32Array(rows * HASH_WORDS);
  if (target.length < rows * HASH_WORDS) {
    throw new RangeError(`The output holds ${target.length >>> 2} hashes but the table has ${rows} rows.`);
  }
  return target;
}

function* hashSlices(source: Table | RecordBatch, columnNames: readonly string[], target: Uint32Array, sliceRows: number): Generator<void> {
  let rowAt = 0;
  for (const batch of batchesOf(source)) {
    const cols = cursorsFor(batch, columnNames);
    const s = scratchFor(cols);
    const n = batch.numRows;
    for (let from = 0; from < n; from += sliceRows) {
      const to = Math.min(n, from + sliceRows);
      for (let i = from, w = (rowAt + from) * HASH_WORDS; i < to; i++, w += HASH_WORDS) {
        const len = encodeRowInto(cols, i, s);
        murmur3x86_128(s, 0, len, 0, target, w);
      }
      yield;
    }
    rowAt += n;
  }
}

/**
 * The canonical encoding of row `row` over `columnNames`: the exact bytes whose
 * MurmurHash3 x86_128 (seed 0) `hashColumns` returns. For tests, debugging and
 * other tools; not for the hot path.
 */
export function encodeRow(source: Table | RecordBatch, columnNames: readonly string[], row: number): Uint8Array {
  requireLittleEndian();
  if (!Number.isInteger(row) || row < 0 || row >= source.numRows) {
    throw new RangeError(`Row ${row} is outside the table's ${source.numRows} rows.`);
  }
  let local = row;
  for (const batch of batchesOf(source)) {
    if (local < batch.numRows) {
      const cols = cursorsFor(batch, columnNames);
      const s = scratchFor(cols);
      return s.slice(0, encodeRowInto(cols, local, s));
    }
    local -= batch.numRows;
  }
  throw new RangeError(`Row ${row} is outside the table's ${source.numRows} rows.`);
}
