/**
 * Parquet reader over the project codec: decodes row groups as Arrow record
 * batches (only the requested columns) and exposes native values: numbers,
 * bigints (Int64), strings, booleans, Dates (date and timestamp columns) and
 * exact decimal texts (DECIMAL columns); unannotated byte arrays as their UTF-8 text.
 */
import { isUtf8 } from "node:buffer";
import { DataType, type Decimal, type RecordBatch, type Schema, type Timestamp, TimeUnit, Type, type Vector } from "apache-arrow";
import { decodeParquetBatches, parquetSchema } from "../parquet/codec.js";
import { readFooter } from "../parquet/footer.js";
import { count, overLimit } from "./limits.js";
import { SourceFormatError } from "./errors.js";
import { JsonNumber } from "./json-number.js";
import { type SourceInput, emptyError, inputBytes } from "./input.js";
import { ExactTimestamp, type RawBatch, SimpleBatch, ValueColumn, floorDiv } from "./types.js";

/** Microseconds per unit of a Parquet/Arrow timestamp (`TimeUnit` order: s, ms, µs, ns); nanoseconds divide. */
const MICROS_PER_UNIT = [1_000_000n, 1000n, 1n, 1n] as const;

/** Timestamps with their exact microseconds: Arrow's `get` returns a float of milliseconds, which a Date truncates toward zero. */
function timestamps(vec: Vector<Timestamp>): unknown[] {
  const out = new Array<unknown>(vec.length);
  const unit = vec.type.unit;
  let i = 0;
  for (const data of vec.data) {
    const raw = data.values as unknown as ArrayLike<bigint>;
    for (let j = 0; j < data.length; j++, i++) {
      if (!vec.isValid(i)) {
        out[i] = null;
        continue;
      }
      const v = BigInt(raw[j]);
      out[i] = new ExactTimestamp(unit === TimeUnit.NANOSECOND ? floorDiv(v, 1000n) : v * MICROS_PER_UNIT[unit]);
    }
  }
  return out;
}

/** Text of the unscaled integer `unscaled` at `scale` places, every stored digit kept ("-0.5000" at scale 4). */
function scaledText(unscaled: bigint, scale: number): string {
  if (scale <= 0) return (unscaled * 10n ** BigInt(-scale)).toString();
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
  return `${unscaled < 0n ? "-" : ""}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/**
 * Decimals as {@link JsonNumber}s of their exact text, read from the two's complement words
 * themselves: Arrow's `get` returns an object whose text is the unscaled integer (and is wrong for 256 bits).
 */
function decimals(vec: Vector<Decimal>): unknown[] {
  const out = new Array<unknown>(vec.length);
  const { bitWidth, scale } = vec.type;
  const words = bitWidth / 32;
  let i = 0;
  for (const data of vec.data) {
    const raw = data.values;
    for (let j = 0; j < data.length; j++, i++) {
      if (!vec.isValid(i)) {
        out[i] = null;
        continue;
      }
      let v = 0n;
      for (let w = words - 1; w >= 0; w--) v = (v << 32n) | BigInt(raw[(data.offset + j) * words + w]);
      out[i] = new JsonNumber(scaledText(BigInt.asIntN(bitWidth, v), scale));
    }
  }
  return out;
}

/**
 * BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY values without a string annotation (older writers store text
 * so, and codes): their text when it is UTF-8, else the bytes, which the casts refuse.
 */
function binaries(vec: Vector): unknown[] {
  const out = new Array<unknown>(vec.length);
  for (let i = 0; i < vec.length; i++) {
    const v = vec.get(i) as Uint8Array | null;
    out[i] = v === null ? null : isUtf8(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("utf8") : v;
  }
  return out;
}

function values(vec: Vector): unknown[] {
  if (DataType.isTimestamp(vec.type)) return timestamps(vec as Vector<Timestamp>);
  if (DataType.isDecimal(vec.type)) return decimals(vec as Vector<Decimal>);
  if (DataType.isBinary(vec.type) || DataType.isLargeBinary(vec.type) || DataType.isFixedSizeBinary(vec.type)) return binaries(vec);
  const n = vec.length;
  const out = new Array<unknown>(n);
  const temporal = vec.type.typeId === Type.Date;
  for (let i = 0; i < n; i++) {
    const v: unknown = vec.get(i);
    out[i] = temporal && typeof v === "number" ? new Date(v) : v;
  }
  return out;
}

function schemaOf(bytes: Uint8Array, label: string): Schema {
  try {
    return parquetSchema(bytes);
  } catch (err) {
    throw new SourceFormatError(`${label} is not a readable Parquet file (${(err as Error).message}); check source.format.`, undefined, { cause: err });
  }
}

/** Fails before decoding when the footer says the column data decompresses to more than `max` bytes. */
function requireDecompressedUnder(bytes: Uint8Array, label: string, max: number): void {
  let total: number;
  try {
    total = readFooter(bytes).rowGroups.reduce((sum, g) => sum + g.totalByteSize, 0);
  } catch (err) {
    throw new SourceFormatError(`${label} is not a readable Parquet file (${(err as Error).message}); check source.format.`, undefined, { cause: err });
  }
  if (total > max) throw overLimit(label, `decompresses to ${count(total)} bytes (at most ${count(max)})`, "TIDEMARK_MAX_DECOMPRESSED_BYTES");
}

/**
 * Reads a Parquet source. `columns` limits decoding to the named columns that
 * exist (others are left for the normalizer to report as missing). Rows are
 * numbered 1.. in file order.
 */
export async function* readParquet(input: SourceInput, label: string, columns?: readonly string[], maxDecompressedBytes?: number): AsyncGenerator<RawBatch> {
  const bytes = await inputBytes(input, label);
  if (bytes.length === 0) throw emptyError(label);
  if (bytes.length < 12 || bytes.toString("latin1", 0, 4) !== "PAR1") {
    throw new SourceFormatError(`${label} is not a Parquet file (the PAR1 magic bytes are missing); check source.format, or re-export the file as Parquet.`);
  }
  if (maxDecompressedBytes !== undefined) requireDecompressedUnder(bytes, label, maxDecompressedBytes);
  const names = schemaOf(bytes, label).fields.map((f) => f.name);
  const wanted = columns === undefined ? names : names.filter((n) => columns.includes(n));
  let row = 1;
  let emitted = false;
  if (wanted.length > 0) {
    let batches: AsyncGenerator<RecordBatch>;
    try {
      batches = decodeParquetBatches(bytes, { columns: wanted });
    } catch (err) {
      throw new SourceFormatError(`${label} could not be decoded as Parquet (${(err as Error).message}).`, undefined, { cause: err });
    }
    for await (const batch of batches) {
      const cols = wanted.map((_, j) => new ValueColumn(values(batch.getChildAt(j)!)));
      const rows = new Int32Array(batch.numRows);
      for (let i = 0; i < rows.length; i++) rows[i] = row++;
      emitted = true;
      yield new SimpleBatch(names, true, rows, names.map((n) => cols[wanted.indexOf(n)] ?? new ValueColumn(new Array(rows.length).fill(null))));
    }
  }
  if (!emitted) yield new SimpleBatch(names, true, new Int32Array(0), names.map(() => new ValueColumn([])));
}
