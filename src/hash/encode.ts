/**
 * The canonical row encoding that column hashes are computed over (see
 * docs/hashing.md). Each value is a one-byte type tag followed by a fixed or
 * length-prefixed payload, read straight from the Arrow buffers.
 */
import { type Data, DataType, DateUnit, Precision, TimeUnit } from "apache-arrow";
import { TidemarkError } from "../errors";

/** Type tags of the encoding; part of the persisted hash format. */
export const Tag = {
  NULL: 0x00,
  UTF8: 0x01,
  INT64: 0x02,
  FLOAT64: 0x03,
  BOOL: 0x04,
  DATE32: 0x05,
  TIMESTAMP_US: 0x06,
} as const;

/** A column that cannot be hashed: missing, or of a type outside the normalized set. */
export class UnsupportedColumnError extends TidemarkError {
  constructor(readonly column: string, message: string) {
    super(message);
  }
}

const K_UTF8 = 1;
const K_DICT = 2;
const K_FIXED = 3;
const K_FLOAT64 = 4;
const K_BOOL = 5;

const EMPTY_U8 = new Uint8Array(0);
const EMPTY_I32 = new Int32Array(0);
const EMPTY_F64 = new Float64Array(0);

function byteView(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function int32Offsets(offsets: Int32Array | BigInt64Array, column: string): Int32Array {
  if (offsets instanceof Int32Array) return offsets;
  const last = offsets.length === 0 ? 0n : offsets[offsets.length - 1];
  if (last > 0x7fffffffn) throw new UnsupportedColumnError(column, `Column "${column}" holds more than 2 GiB of text in one batch; split it into smaller record batches.`);
  return Int32Array.from(offsets, Number);
}

interface StringBuffers {
  offsets: Int32Array;
  bytes: Uint8Array;
  nulls: Uint8Array;
  hasNulls: boolean;
  bitOffset: number;
}

function stringBuffers(data: Data, column: string): StringBuffers {
  return {
    offsets: int32Offsets(data.valueOffsets as Int32Array | BigInt64Array, column),
    bytes: (data.values as Uint8Array | undefined) ?? EMPTY_U8,
    nulls: data.nullBitmap ?? EMPTY_U8,
    hasNulls: data.nullCount > 0,
    bitOffset: data.offset,
  };
}

function flattenDictionary(chunks: readonly Data[], column: string): StringBuffers {
  if (chunks.length === 1) return stringBuffers(chunks[0], column);
  const parts = chunks.map((c) => stringBuffers(c, column));
  const total = parts.reduce((n, p) => n + (p.offsets.length - 1), 0);
  const offsets = new Int32Array(total + 1);
  const nulls = new Uint8Array((total + 7) >> 3).fill(0xff);
  const byteLen = parts.reduce((n, p) => n + (p.offsets[p.offsets.length - 1] - p.offsets[0]), 0);
  const bytes = new Uint8Array(byteLen);
  let at = 0;
  let pos = 0;
  for (const p of parts) {
    const n = p.offsets.length - 1;
    for (let i = 0; i < n; i++) {
      const a = p.offsets[i];
      const b = p.offsets[i + 1];
      bytes.set(p.bytes.subarray(a, b), pos);
      pos += b - a;
      offsets[at + i + 1] = pos;
      const bit = p.bitOffset + i;
      if (p.hasNulls && (p.nulls[bit >> 3] & (1 << (bit & 7))) === 0) nulls[(at + i) >> 3] &= ~(1 << ((at + i) & 7));
    }
    at += n;
  }
  return { offsets, bytes, nulls, hasNulls: parts.some((p) => p.hasNulls), bitOffset: 0 };
}

function dictionaryIndices(values: ArrayBufferView, column: string): Int32Array {
  if (values instanceof Int32Array) return values;
  if (values instanceof Int8Array || values instanceof Int16Array || values instanceof Uint8Array || values instanceof Uint16Array) {
    return Int32Array.from(values);
  }
  throw new UnsupportedColumnError(column, `Column "${column}" is dictionary-encoded with ${values.constructor.name} indices; use Int32 indices.`);
}

/** One column of one record batch, prepared for row-wise encoding. */
export class ColumnCursor {
  kind = 0;
  tag = 0;
  width = 0;
  nulls: Uint8Array = EMPTY_U8;
  hasNulls = false;
  bitOffset = 0;
  offsets: Int32Array = EMPTY_I32;
  bytes: Uint8Array = EMPTY_U8;
  indices: Int32Array = EMPTY_I32;
  dictNulls: Uint8Array = EMPTY_U8;
  dictHasNulls = false;
  dictBitOffset = 0;
  f64: Float64Array = EMPTY_F64;
  /** Upper bound of the bytes one value of this column encodes to. */
  maxBytes = 0;

  constructor(data: Data, column: string) {
    this.nulls = data.nullBitmap ?? EMPTY_U8;
    this.hasNulls = data.nullCount > 0;
    this.bitOffset = data.offset;
    const type = data.type as DataType;
    if (DataType.isDictionary(type)) {
      if (!DataType.isUtf8(type.dictionary) && !DataType.isLargeUtf8(type.dictionary)) throw unsupported(column, type);
      const dict = data.dictionary;
      if (dict === undefined) throw new UnsupportedColumnError(column, `Column "${column}" is dictionary-encoded but has no dictionary.`);
      const s = flattenDictionary(dict.data, column);
      this.setString(K_DICT, s);
      this.indices = dictionaryIndices(data.values as ArrayBufferView, column);
      this.dictNulls = s.nulls;
      this.dictHasNulls = s.hasNulls;
      this.dictBitOffset = s.bitOffset;
    } else if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) {
      const s = stringBuffers(data, column);
      this.setString(K_UTF8, s);
    } else if (DataType.isInt(type) && type.bitWidth === 64 && type.isSigned) {
      this.setFixed(Tag.INT64, 8, data);
    } else if (DataType.isFloat(type) && type.precision === Precision.DOUBLE) {
      this.setFixed(Tag.FLOAT64, 8, data);
      this.kind = K_FLOAT64;
      this.f64 = data.values as Float64Array;
    } else if (DataType.isBool(type)) {
      this.kind = K_BOOL;
      this.tag = Tag.BOOL;
      this.bytes = data.values as Uint8Array;
      this.maxBytes = 2;
    } else if (DataType.isDate(type) && type.unit === DateUnit.DAY) {
      this.setFixed(Tag.DATE32, 4, data);
    } else if (DataType.isTimestamp(type) && type.unit === TimeUnit.MICROSECOND) {
      this.setFixed(Tag.TIMESTAMP_US, 8, data);
    } else {
      throw unsupported(column, type);
    }
  }

  private setString(kind: number, s: StringBuffers): void {
    this.kind = kind;
    this.tag = Tag.UTF8;
    this.offsets = s.offsets;
    this.bytes = s.bytes;
    let longest = 0;
    const o = s.offsets;
    for (let i = 1; i < o.length; i++) {
      const n = o[i] - o[i - 1];
      if (n > longest) longest = n;
    }
    this.maxBytes = 5 + longest;
  }

  private setFixed(tag: number, width: number, data: Data): void {
    this.kind = K_FIXED;
    this.tag = tag;
    this.width = width;
    this.bytes = byteView(data.values as ArrayBufferView);
    this.maxBytes = 1 + width;
  }
}

function unsupported(column: string, type: DataType): UnsupportedColumnError {
  return new UnsupportedColumnError(
    column,
    `Column "${column}" has Arrow type ${String(type)}, which cannot be hashed; normalize it to Utf8, Int64, Float64, Bool, Date32 or Timestamp(MICROSECOND).`,
  );
}

/**
 * Writes the canonical encoding of row `i` of `cols` into `s` from offset 0 and
 * returns its length. `s` must hold at least the sum of the cursors' `maxBytes`.
 */
export function encodeRowInto(cols: readonly ColumnCursor[], i: number, s: Uint8Array): number {
  let pos = 0;
  for (let c = 0; c < cols.length; c++) {
    const col = cols[c];
    if (col.hasNulls) {
      const bit = col.bitOffset + i;
      if ((col.nulls[bit >> 3] & (1 << (bit & 7))) === 0) {
        s[pos++] = Tag.NULL;
        continue;
      }
    }
    switch (col.kind) {
      case K_UTF8:
      case K_DICT: {
        let v = i;
        if (col.kind === K_DICT) {
          v = col.indices[i];
          const bit = col.dictBitOffset + v;
          if (col.dictHasNulls && (col.dictNulls[bit >> 3] & (1 << (bit & 7))) === 0) {
            s[pos++] = Tag.NULL;
            break;
          }
        }
        const a = col.offsets[v];
        const n = col.offsets[v + 1] - a;
        s[pos] = Tag.UTF8;
        s[pos + 1] = n;
        s[pos + 2] = n >>> 8;
        s[pos + 3] = n >>> 16;
        s[pos + 4] = n >>> 24;
        pos += 5;
        const src = col.bytes;
        if (n <= 64) {
          for (let k = 0; k < n; k++) s[pos + k] = src[a + k];
        } else {
          s.set(src.subarray(a, a + n), pos);
        }
        pos += n;
        break;
      }
      case K_FIXED: {
        const w = col.width;
        const src = col.bytes;
        const a = i * w;
        s[pos++] = col.tag;
        for (let k = 0; k < w; k++) s[pos + k] = src[a + k];
        pos += w;
        break;
      }
      case K_FLOAT64: {
        s[pos++] = Tag.FLOAT64;
        const v = col.f64[i];
        if (v !== v) {
          s.fill(0, pos, pos + 6);
          s[pos + 6] = 0xf8;
          s[pos + 7] = 0x7f;
        } else if (v === 0) {
          s.fill(0, pos, pos + 8);
        } else {
          const src = col.bytes;
          const a = i * 8;
          for (let k = 0; k < 8; k++) s[pos + k] = src[a + k];
        }
        pos += 8;
        break;
      }
      default: {
        const bit = col.bitOffset + i;
        s[pos] = Tag.BOOL;
        s[pos + 1] = (col.bytes[bit >> 3] >> (bit & 7)) & 1;
        pos += 2;
      }
    }
  }
  return pos;
}
