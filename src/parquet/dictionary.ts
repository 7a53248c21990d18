import { type Data, DataType, Type, type Vector } from "apache-arrow";

/** Rows sampled per column by {@link dictionaryPays}. */
export const DICTIONARY_SAMPLE_ROWS = 512;

/** Largest share of distinct values in the sample for which a dictionary still pays. */
export const DICTIONARY_MAX_DISTINCT_SHARE = 0.25;

function dataAt(vector: Vector, row: number): [Data, number] {
  let at = row;
  for (const d of vector.data) {
    if (at < d.length) return [d, at];
    at -= d.length;
  }
  throw new RangeError(`row ${row} is outside a column of ${vector.length} rows`);
}

function sampleValue(data: Data, i: number): string | null {
  if (!data.getValid(i)) return null;
  const offsets = data.valueOffsets as Int32Array;
  const values = data.values as Uint8Array;
  return Buffer.from(values.buffer, values.byteOffset + offsets[i], offsets[i + 1] - offsets[i]).toString("latin1");
}

/**
 * Whether dictionary-encoding `vector`'s Parquet pages is worth its cost: false for floats and
 * fixed-size binary (hashes), and for strings whose evenly spaced sample of
 * {@link DICTIONARY_SAMPLE_ROWS} rows holds more than {@link DICTIONARY_MAX_DISTINCT_SHARE}
 * distinct values; true otherwise. Mostly distinct strings (ids, names) cost about 1 µs per row
 * in parquet-wasm's dictionary encoder and give larger ZSTD pages than plain encoding; integers,
 * dates and timestamps keep their (cheap) dictionary.
 */
export function dictionaryPays(vector: Vector): boolean {
  const type = vector.type;
  if (DataType.isFloat(type) || DataType.isFixedSizeBinary(type)) return false;
  if (type.typeId !== Type.Utf8 || vector.length === 0) return true;
  const n = Math.min(vector.length, DICTIONARY_SAMPLE_ROWS);
  const step = vector.length / n;
  const distinct = new Set<string | null>();
  const limit = Math.floor(n * DICTIONARY_MAX_DISTINCT_SHARE);
  for (let s = 0; s < n; s++) {
    const [data, i] = dataAt(vector, Math.floor(s * step));
    distinct.add(sampleValue(data, i));
    if (distinct.size > limit) return false;
  }
  return true;
}
