/**
 * Arrow column builders that assemble `Data` straight from typed buffers.
 *
 * `vectorFromArray` infers types and walks values through generic builders,
 * which costs about a second per million strings; these builders fill typed
 * buffers in one or two tight passes and hand them to `makeData` without copying.
 */
import {
  Bool,
  type Data,
  DateDay,
  Dictionary,
  FixedSizeBinary,
  Float64,
  Int32,
  Int64,
  Table,
  TimestampMicrosecond,
  Utf8,
  type Vector,
  makeData,
  makeVector,
} from "apache-arrow";

const MAX_INT32_OFFSET = 0x7fffffff;

/**
 * A null bitmap in Arrow layout (bit set = value present). Every slot starts
 * valid; call {@link Validity.setNull} for the missing ones.
 */
export class Validity {
  /** The bitmap, least-significant bit first, one bit per slot. */
  readonly bits: Uint8Array;
  private nulls = 0;

  /** Creates an all-valid bitmap of `length` slots. */
  constructor(readonly length: number) {
    this.bits = new Uint8Array((length + 7) >> 3).fill(0xff);
    const tail = length & 7;
    if (tail !== 0) this.bits[this.bits.length - 1] = (1 << tail) - 1;
  }

  /** A bitmap marking slot `i` null wherever `isNull(i)` is true. */
  static from(length: number, isNull: (i: number) => boolean): Validity {
    const v = new Validity(length);
    for (let i = 0; i < length; i++) if (isNull(i)) v.setNull(i);
    return v;
  }

  /** A bitmap marking the `null`/`undefined` entries of `values` null. */
  static ofNullable(values: ArrayLike<unknown>): Validity {
    return Validity.from(values.length, (i) => values[i] == null);
  }

  /** Marks slot `i` as null (idempotent). */
  setNull(i: number): void {
    const byte = i >> 3;
    const mask = 1 << (i & 7);
    if (this.bits[byte] & mask) {
      this.bits[byte] &= ~mask;
      this.nulls++;
    }
  }

  /** Whether slot `i` holds a value. */
  isValid(i: number): boolean {
    return (this.bits[i >> 3] & (1 << (i & 7))) !== 0;
  }

  /** Number of null slots. */
  get nullCount(): number {
    return this.nulls;
  }
}

function nullProps(length: number, validity: Validity | undefined): { nullCount: number; nullBitmap?: Uint8Array } {
  if (validity === undefined || validity.nullCount === 0) return { nullCount: 0 };
  if (validity.length !== length) {
    throw new RangeError(`Validity covers ${validity.length} slots but the column has ${length} values; build it with the same length.`);
  }
  return { nullCount: validity.nullCount, nullBitmap: validity.bits };
}

const MAX_JOIN_CHARS = 1 << 28;
const encoder = new TextEncoder();

function utf8Length(s: string): number {
  let bytes = s.length;
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && j + 1 < s.length && (s.charCodeAt(j + 1) & 0xfc00) === 0xdc00) {
      bytes += 2;
      j++;
    } else bytes += 2;
  }
  return bytes;
}

function encodeEach(values: ArrayLike<string | null | undefined>, total: number): Uint8Array {
  const buf = new Uint8Array(total);
  let pos = 0;
  for (let i = 0; i < values.length; i++) {
    const s = values[i];
    if (s != null && s.length > 0) pos += encoder.encodeInto(s, buf.subarray(pos)).written;
  }
  return buf;
}

function utf8Data(values: ArrayLike<string | null | undefined>): Data<Utf8> {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  let validity: Validity | undefined;
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const s = values[i];
    if (s == null) (validity ??= new Validity(n)).setNull(i);
    else chars += s.length;
    offsets[i + 1] = chars;
  }
  const joined = chars <= MAX_JOIN_CHARS ? (Array.prototype.join.call(values, "") as string) : undefined;
  let data: Uint8Array | undefined;
  if (joined !== undefined) {
    data = new Uint8Array(chars);
    const r = encoder.encodeInto(joined, data);
    if (r.read !== chars || r.written !== chars) data = undefined;
  }
  if (data === undefined) {
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const s = values[i];
      if (s != null) bytes += utf8Length(s);
      if (bytes > MAX_INT32_OFFSET) {
        throw new RangeError("Strings total more than 2 GiB, beyond Utf8's Int32 offsets; split the input into smaller tables.");
      }
      offsets[i + 1] = bytes;
    }
    if (joined !== undefined) {
      data = new Uint8Array(bytes);
      const r = encoder.encodeInto(joined, data);
      if (r.read !== joined.length || r.written !== bytes) data = undefined;
    }
    data ??= encodeEach(values, bytes);
  }
  return makeData({ type: new Utf8(), length: n, valueOffsets: offsets, data, ...nullProps(n, validity) });
}

/**
 * A Utf8 column (Int32 offsets) from strings; `null`/`undefined` become nulls.
 * The bitmap is only allocated when a null occurs. All values are encoded with a
 * single `TextEncoder.encodeInto` over their concatenation (offsets come from
 * string lengths when everything is ASCII, else from computed UTF-8 lengths).
 * Lone surrogates become U+FFFD. Throws `RangeError` past 2 GiB of text.
 */
export function utf8Column(values: ArrayLike<string | null | undefined>): Vector<Utf8> {
  return makeVector(utf8Data(values));
}

/**
 * A `Dictionary<Utf8, Int32>` column for repetitive strings: each distinct value
 * is stored once, rows hold Int32 indices. Nulls are null indices.
 */
export function dictUtf8Column(values: ArrayLike<string | null | undefined>): Vector<Dictionary<Utf8, Int32>> {
  const n = values.length;
  const indices = new Int32Array(n);
  const codes = new Map<string, number>();
  const distinct: string[] = [];
  let validity: Validity | undefined;
  for (let i = 0; i < n; i++) {
    const s = values[i];
    if (s == null) {
      (validity ??= new Validity(n)).setNull(i);
      continue;
    }
    let code = codes.get(s);
    if (code === undefined) {
      code = distinct.length;
      codes.set(s, code);
      distinct.push(s);
    }
    indices[i] = code;
  }
  const type = new Dictionary(new Utf8(), new Int32());
  const dictionary = makeVector(utf8Data(distinct));
  return makeVector(makeData({ type, length: n, data: indices, dictionary, ...nullProps(n, validity) }));
}

/**
 * An Int64 column. Plain numbers must be safe integers (converted with `BigInt`).
 * Slots marked null in `validity` keep whatever value is in `values`.
 */
export function int64Column(values: BigInt64Array | ArrayLike<number>, validity?: Validity): Vector<Int64> {
  const data = values instanceof BigInt64Array ? values : BigInt64Array.from(values, (v: number) => BigInt(v));
  return makeVector(makeData({ type: new Int64(), length: data.length, data, ...nullProps(data.length, validity) }));
}

/** A Float64 column. NaN is an ordinary value; nulls come only from `validity`. */
export function float64Column(values: Float64Array | ArrayLike<number>, validity?: Validity): Vector<Float64> {
  const data = values instanceof Float64Array ? values : Float64Array.from(values);
  return makeVector(makeData({ type: new Float64(), length: data.length, data, ...nullProps(data.length, validity) }));
}

/** A Date32 (`DateDay`) column from days since 1970-01-01. */
export function date32Column(days: Int32Array, validity?: Validity): Vector<DateDay> {
  return makeVector(makeData({ type: new DateDay(), length: days.length, data: days, ...nullProps(days.length, validity) }));
}

/**
 * A `Timestamp(MICROSECOND, "UTC")` column from microseconds since the epoch.
 * Note: Arrow JS `get()` returns milliseconds as a number; read `data[0].values` for exact micros.
 */
export function timestampColumn(micros: BigInt64Array, validity?: Validity): Vector<TimestampMicrosecond> {
  const type = new TimestampMicrosecond("UTC");
  return makeVector(makeData({ type, length: micros.length, data: micros, ...nullProps(micros.length, validity) }));
}

/** A Bool column from booleans or from one byte per value (non-zero = true). */
export function boolColumn(values: Uint8Array | ArrayLike<boolean>, validity?: Validity): Vector<Bool> {
  const n = values.length;
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (values[i]) bits[i >> 3] |= 1 << (i & 7);
  return makeVector(makeData({ type: new Bool(), length: n, data: bits, ...nullProps(n, validity) }));
}

/**
 * A `FixedSizeBinary(width)` column over `bytes`, `width` bytes per row
 * (e.g. width 16 for 128-bit key hashes). `bytes.length` must be a multiple of `width`.
 */
export function fixedBinaryColumn(bytes: Uint8Array, width: number, validity?: Validity): Vector<FixedSizeBinary> {
  if (!Number.isInteger(width) || width <= 0 || bytes.length % width !== 0) {
    throw new RangeError(`fixedBinaryColumn needs a positive integer width dividing ${bytes.length} bytes; got width ${width}.`);
  }
  const n = bytes.length / width;
  return makeVector(makeData({ type: new FixedSizeBinary(width), length: n, data: bytes, ...nullProps(n, validity) }));
}

/**
 * An Arrow table from named columns, in the given key order. All columns must
 * have the same length.
 */
export function tableFrom(columns: Record<string, Vector>): Table {
  const names = Object.keys(columns);
  if (names.length === 0) throw new RangeError("tableFrom needs at least one column.");
  const length = columns[names[0]].length;
  for (const name of names) {
    if (columns[name].length !== length) {
      throw new RangeError(`Column "${name}" has ${columns[name].length} rows but "${names[0]}" has ${length}; all columns must be equally long.`);
    }
  }
  return new Table(columns);
}
