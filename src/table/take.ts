import { type Data, makeData, makeVector, Table, Type, type Vector } from "apache-arrow";
import { utf8Column } from "../parquet/columns";

type Validity = { nullBitmap?: Uint8Array; nullCount: number };

function validityOf(data: Data, indices: Int32Array | null, length: number): Validity {
  if (data.nullCount === 0) return { nullCount: 0 };
  const src = data.nullBitmap as Uint8Array;
  const offset = data.offset;
  const bitmap = new Uint8Array((length + 7) >> 3);
  let nulls = 0;
  for (let j = 0; j < length; j++) {
    const k = (indices ? indices[j] : j) + offset;
    if (src[k >> 3] & (1 << (k & 7))) bitmap[j >> 3] |= 1 << (j & 7);
    else nulls++;
  }
  return nulls ? { nullBitmap: bitmap, nullCount: nulls } : { nullCount: 0 };
}

function concatValidity(vector: Vector): Validity {
  if (vector.nullCount === 0) return { nullCount: 0 };
  const bitmap = new Uint8Array((vector.length + 7) >> 3);
  let row = 0;
  let nulls = 0;
  for (const d of vector.data) {
    if (d.nullCount === 0) {
      for (let i = 0; i < d.length; i++, row++) bitmap[row >> 3] |= 1 << (row & 7);
      continue;
    }
    const src = d.nullBitmap as Uint8Array;
    for (let i = 0; i < d.length; i++, row++) {
      const k = i + d.offset;
      if (src[k >> 3] & (1 << (k & 7))) bitmap[row >> 3] |= 1 << (row & 7);
      else nulls++;
    }
  }
  return { nullBitmap: bitmap, nullCount: nulls };
}

/** `vector` as a single chunk, copied chunk by chunk (buffer slices, no per-value work). */
export function compactVector(vector: Vector): Vector {
  if (vector.data.length <= 1) return vector;
  const type = vector.type;
  const length = vector.length;
  const id = type.typeId;
  if (id === Type.Dictionary && vector.data.some((d) => d.dictionary !== vector.data[0].dictionary)) return decodeDictionary(vector);
  if (id === Type.Bool) return copyRows(vector, Int32Array.from({ length }, (_, i) => i));
  const validity = concatValidity(vector);
  if (id === Type.Utf8) {
    let bytes = 0;
    for (const d of vector.data) bytes += d.valueOffsets[d.length] - d.valueOffsets[0];
    const values = new Uint8Array(bytes);
    const offsets = new Int32Array(length + 1);
    let row = 0;
    let pos = 0;
    for (const d of vector.data) {
      const o = d.valueOffsets as Int32Array;
      values.set((d.values as Uint8Array).subarray(o[0], o[d.length]), pos);
      for (let i = 0; i < d.length; i++) offsets[row + i + 1] = o[i + 1] - o[0] + pos;
      pos += o[d.length] - o[0];
      row += d.length;
    }
    return makeVector(makeData({ type, length, valueOffsets: offsets, data: values, ...validity }));
  }
  const first = vector.data[0];
  if (!ArrayBuffer.isView(first.values)) throw new Error(`takeVector does not support Arrow type ${type}`);
  const stride = first.stride;
  const Ctor = first.values.constructor as new (n: number) => Float64Array;
  const out = new Ctor(length * stride);
  let at = 0;
  for (const d of vector.data) {
    out.set((d.values as Float64Array).subarray(0, d.length * stride), at);
    at += d.length * stride;
  }
  const dictionary = id === Type.Dictionary ? { dictionary: first.dictionary } : {};
  return makeVector(makeData({ type, length, data: out, ...dictionary, ...validity } as never));
}

function takeUtf8(data: Data, indices: Int32Array): { offsets: Int32Array; values: Uint8Array } {
  const length = indices.length;
  const o = data.valueOffsets as Int32Array;
  const src = data.values as Uint8Array;
  const offsets = new Int32Array(length + 1);
  let bytes = 0;
  for (let j = 0; j < length; j++) {
    const k = indices[j];
    bytes += o[k + 1] - o[k];
    offsets[j + 1] = bytes;
  }
  const values = new Uint8Array(bytes);
  let pos = 0;
  for (let j = 0; j < length; j++) {
    const k = indices[j];
    for (let b = o[k], end = o[k + 1]; b < end; b++) values[pos++] = src[b];
  }
  return { offsets, values };
}

function takeFixedWidth(src: ArrayBufferView, width: number, indices: Int32Array): ArrayBuffer {
  const length = indices.length;
  if (width % 4 === 0 && src.byteOffset % 4 === 0) {
    const w = width / 4;
    const from = new Uint32Array(src.buffer, src.byteOffset, src.byteLength >> 2);
    const to = new Uint32Array(length * w);
    if (w === 1) for (let j = 0; j < length; j++) to[j] = from[indices[j]];
    else for (let j = 0; j < length; j++) for (let s = 0, k = indices[j] * w, o = j * w; s < w; s++) to[o + s] = from[k + s];
    return to.buffer;
  }
  const from = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const to = new Uint8Array(length * width);
  for (let j = 0; j < length; j++) for (let s = 0, k = indices[j] * width, o = j * width; s < width; s++) to[o + s] = from[k + s];
  return to.buffer;
}

function isRange(indices: Int32Array): boolean {
  for (let j = 1; j < indices.length; j++) if (indices[j] !== indices[0] + j) return false;
  return indices.length > 0;
}

function isIdentity(vector: Vector, indices: Int32Array): boolean {
  if (indices.length !== vector.length) return false;
  for (let j = 0; j < indices.length; j++) if (indices[j] !== j) return false;
  return true;
}

/** The rows `indices` of `vector`, in that order, copied at buffer level (no per-value decoding). */
export function takeVector(vector: Vector, indices: Int32Array): Vector {
  if (isIdentity(vector, indices)) return vector;
  if (vector.data.length === 1 && isRange(indices)) return vector.slice(indices[0], indices[0] + indices.length);
  return copyRows(vector, indices);
}

function copyRows(vector: Vector, indices: Int32Array): Vector {
  const type = vector.type;
  const length = indices.length;
  if (vector.data.length === 0) return makeVector(makeData({ type, length: 0 } as never));
  if (vector.data.length > 1 && type.typeId !== Type.Bool) return copyRows(compactVector(vector), indices);
  const data = vector.data[0];
  switch (type.typeId) {
    case Type.Utf8: {
      const { offsets, values } = takeUtf8(data, indices);
      return makeVector(makeData({ type, length, valueOffsets: offsets, data: values, ...validityOf(data, indices, length) }));
    }
    case Type.Bool: {
      const bits = new Uint8Array((length + 7) >> 3);
      const starts = [0];
      for (const d of vector.data) starts.push(starts[starts.length - 1] + d.length);
      let valid: Validity = { nullCount: 0 };
      if (vector.nullCount > 0) valid = validityOf(compactNulls(vector), indices, length);
      for (let j = 0; j < length; j++) {
        let c = 0;
        while (indices[j] >= starts[c + 1]) c++;
        const d = vector.data[c];
        const bit = d.offset + indices[j] - starts[c];
        if (d.values[bit >> 3] & (1 << (bit & 7))) bits[j >> 3] |= 1 << (j & 7);
      }
      return makeVector(makeData({ type, length, data: bits, ...valid }));
    }
    default: {
      if (!ArrayBuffer.isView(data.values)) throw new Error(`takeVector does not support Arrow type ${type}`);
      const src = data.values as Float64Array;
      const out = new (src.constructor as new (b: ArrayBuffer) => Float64Array)(takeFixedWidth(src, data.stride * src.BYTES_PER_ELEMENT, indices));
      const dictionary = type.typeId === Type.Dictionary ? { dictionary: data.dictionary } : {};
      return makeVector(makeData({ type, length, data: out, ...dictionary, ...validityOf(data, indices, length) } as never));
    }
  }
}

function compactNulls(vector: Vector): Data {
  const { nullBitmap, nullCount } = concatValidity(vector);
  return makeData({ type: vector.type, length: vector.length, nullBitmap, nullCount, data: new Uint8Array((vector.length + 7) >> 3) } as never);
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

/** `table` with every column in one chunk, so later takes index buffers directly. */
export function compactTable(table: Table): Table {
  const columns: Record<string, Vector> = {};
  for (const field of table.schema.fields) columns[field.name] = compactVector(table.getChild(field.name)!);
  return new Table(columns);
}

/** Row indices 0..n-1 where `keep(i)` holds. */
export function whereRows(n: number, keep: (i: number) => boolean): Int32Array {
  const out = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) if (keep(i)) out[m++] = i;
  return out.subarray(0, m);
}
