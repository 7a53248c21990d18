import { type Data, makeData, makeVector, Table, Type, type Vector } from "apache-arrow";
import { utf8Column } from "../parquet/columns";

/** Row `i` of a chunked vector: which chunk and which slot in it. */
function locator(vector: Vector): (i: number) => [Data, number] {
  const chunks = vector.data;
  if (chunks.length === 1) return (i) => [chunks[0], i];
  const starts = new Int32Array(chunks.length + 1);
  for (let c = 0; c < chunks.length; c++) starts[c + 1] = starts[c] + chunks[c].length;
  return (i) => {
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return [chunks[lo], i - starts[lo]];
  };
}

function validityOf(vector: Vector, indices: Int32Array, locate: (i: number) => [Data, number]): { nullBitmap?: Uint8Array; nullCount: number } {
  if (vector.nullCount === 0) return { nullCount: 0 };
  const bitmap = new Uint8Array((indices.length + 7) >> 3);
  let nulls = 0;
  for (let j = 0; j < indices.length; j++) {
    const [d, k] = locate(indices[j]);
    if (d.getValid(k)) bitmap[j >> 3] |= 1 << (j & 7);
    else nulls++;
  }
  return nulls ? { nullBitmap: bitmap, nullCount: nulls } : { nullCount: 0 };
}

/** The rows `indices` of `vector`, in that order, copied at buffer level (no per-value decoding). */
export function takeVector(vector: Vector, indices: Int32Array): Vector {
  const locate = locator(vector);
  const type = vector.type;
  const length = indices.length;
  const validity = validityOf(vector, indices, locate);
  switch (type.typeId) {
    case Type.Utf8: {
      let bytes = 0;
      for (let j = 0; j < length; j++) {
        const [d, k] = locate(indices[j]);
        bytes += d.valueOffsets[k + 1] - d.valueOffsets[k];
      }
      const values = new Uint8Array(bytes);
      const offsets = new Int32Array(length + 1);
      let pos = 0;
      for (let j = 0; j < length; j++) {
        const [d, k] = locate(indices[j]);
        const start = d.valueOffsets[k];
        const end = d.valueOffsets[k + 1];
        values.set(d.values.subarray(start, end), pos);
        pos += end - start;
        offsets[j + 1] = pos;
      }
      return makeVector(makeData({ type, length, valueOffsets: offsets, data: values, ...validity }));
    }
    case Type.Bool: {
      const bits = new Uint8Array((length + 7) >> 3);
      for (let j = 0; j < length; j++) {
        const [d, k] = locate(indices[j]);
        const bit = d.offset + k;
        if (d.values[bit >> 3] & (1 << (bit & 7))) bits[j >> 3] |= 1 << (j & 7);
      }
      return makeVector(makeData({ type, length, data: bits, ...validity }));
    }
    case Type.Dictionary: {
      if (vector.data.some((d) => d.dictionary !== vector.data[0].dictionary)) {
        return takeVector(decodeDictionary(vector), indices);
      }
      const out = new Int32Array(length);
      for (let j = 0; j < length; j++) {
        const [d, k] = locate(indices[j]);
        out[j] = d.values[k];
      }
      return makeVector(makeData({ type, length, data: out, dictionary: vector.data[0].dictionary, ...validity }));
    }
    default: {
      const first = vector.data[0];
      if (!first || !ArrayBuffer.isView(first.values)) throw new Error(`takeVector does not support Arrow type ${type}`);
      const stride = first.stride;
      const Ctor = first.values.constructor as new (n: number) => typeof first.values;
      const out = new Ctor(length * stride);
      for (let j = 0; j < length; j++) {
        const [d, k] = locate(indices[j]);
        for (let s = 0; s < stride; s++) out[j * stride + s] = d.values[k * stride + s];
      }
      return makeVector(makeData({ type, length, data: out, ...validity } as never));
    }
  }
}

function decodeDictionary(vector: Vector): Vector {
  const values: (string | null)[] = new Array(vector.length);
  for (let i = 0; i < vector.length; i++) values[i] = vector.get(i);
  return utf8Column(values);
}

/** The rows `indices` of `table`, in that order. */
export function takeRows(table: Table, indices: Int32Array): Table {
  const columns: Record<string, Vector> = {};
  for (const field of table.schema.fields) columns[field.name] = takeVector(table.getChild(field.name)!, indices);
  return new Table(columns);
}

/** Row indices 0..n-1 where `keep(i)` holds. */
export function whereRows(n: number, keep: (i: number) => boolean): Int32Array {
  const out = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) if (keep(i)) out[m++] = i;
  return out.subarray(0, m);
}
