/**
 * A synchronous reader of the Parquet footer (Thrift compact protocol), used
 * where parquet-wasm 0.8.0 only offers metadata asynchronously.
 */
import { TidemarkError } from "../errors";

/** The bytes are not a readable Parquet file. */
export class ParquetFormatError extends TidemarkError {
  override readonly retryable = true;
  constructor(message: string) {
    super(message);
  }
}

type Value = number | boolean | Uint8Array | Value[] | Struct | Map<Value, Value>;
type Struct = { [field: number]: Value };

const CODEC_NAMES = ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"];
const textDecoder = new TextDecoder();

class CompactReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  private byte(): number {
    if (this.pos >= this.buf.length) throw new ParquetFormatError("Parquet footer is truncated; the file is corrupt or incomplete.");
    return this.buf[this.pos++];
  }

  private varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
  }

  private zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  private value(type: number): Value {
    switch (type) {
      case 1:
        return true;
      case 2:
        return false;
      case 3:
        return this.byte();
      case 4:
      case 5:
      case 6:
        return this.zigzag();
      case 7:
        this.pos += 8;
        return 0;
      case 8: {
        const len = this.varint();
        const bytes = this.buf.subarray(this.pos, this.pos + len);
        this.pos += len;
        return bytes;
      }
      case 9:
      case 10:
        return this.list();
      case 11:
        return this.map();
      case 12:
        return this.struct();
      default:
        throw new ParquetFormatError(`Parquet footer has unknown Thrift type ${type}; the file is corrupt.`);
    }
  }

  private list(): Value[] {
    const header = this.byte();
    const size = header >> 4 === 15 ? this.varint() : header >> 4;
    const type = header & 0x0f;
    const out: Value[] = new Array<Value>(size);
    for (let i = 0; i < size; i++) out[i] = type === 1 || type === 2 ? this.byte() === 1 : this.value(type);
    return out;
  }

  private map(): Map<Value, Value> {
    const size = this.varint();
    const out = new Map<Value, Value>();
    if (size === 0) return out;
    const types = this.byte();
    for (let i = 0; i < size; i++) out.set(this.value(types >> 4), this.value(types & 0x0f));
    return out;
  }

  struct(): Struct {
    const out: Struct = {};
    let field = 0;
    for (;;) {
      const header = this.byte();
      const type = header & 0x0f;
      if (type === 0) return out;
      const delta = header >> 4;
      field = delta === 0 ? this.zigzag() : field + delta;
      out[field] = this.value(type);
    }
  }
}

/** One column chunk of a row group. */
export interface ColumnChunkInfo {
  path: string;
  codec: string;
  numValues: number;
  compressedBytes: number;
  /** Null count from the statistics, or `undefined` when absent. */
  nullCount: number | undefined;
  /** Whether the chunk statistics carry min and max (either the current or the legacy fields). */
  hasMinMax: boolean;
}

/** One row group. */
export interface RowGroupInfo {
  numRows: number;
  /** Uncompressed size of the row group's column data. */
  totalByteSize: number;
  columns: ColumnChunkInfo[];
}

/** What the footer says about a file. */
export interface FooterInfo {
  numRows: number;
  rowGroups: RowGroupInfo[];
  createdBy: string | undefined;
  keyValueMetadata: Map<string, string>;
}

const MAGIC = 0x31524150;

function asStruct(v: Value | undefined): Struct {
  return v !== undefined && typeof v === "object" && !(v instanceof Uint8Array) && !Array.isArray(v) && !(v instanceof Map) ? v : {};
}

function asList(v: Value | undefined): Value[] {
  return Array.isArray(v) ? v : [];
}

function asText(v: Value | undefined): string | undefined {
  return v instanceof Uint8Array ? textDecoder.decode(v) : undefined;
}

function asNumber(v: Value | undefined): number {
  return typeof v === "number" ? v : 0;
}

function columnChunk(chunk: Struct): ColumnChunkInfo {
  const meta = asStruct(chunk[3]);
  const stats = 12 in meta ? asStruct(meta[12]) : undefined;
  return {
    path: asList(meta[3]).map(asText).join("."),
    codec: CODEC_NAMES[asNumber(meta[4])] ?? `CODEC_${asNumber(meta[4])}`,
    numValues: asNumber(meta[5]),
    compressedBytes: asNumber(meta[7]),
    nullCount: stats !== undefined && 3 in stats ? asNumber(stats[3]) : undefined,
    hasMinMax: stats !== undefined && ((5 in stats && 6 in stats) || (1 in stats && 2 in stats)),
  };
}

/** Parses the footer of a complete Parquet file held in memory. */
export function readFooter(file: Uint8Array): FooterInfo {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 12 || view.getUint32(0, true) !== MAGIC || view.getUint32(file.length - 4, true) !== MAGIC) {
    throw new ParquetFormatError("Not a Parquet file: the PAR1 magic bytes are missing at the start or end.");
  }
  const length = view.getUint32(file.length - 8, true);
  if (length > file.length - 12) throw new ParquetFormatError("Parquet footer length exceeds the file size; the file is truncated.");
  const meta = new CompactReader(file.subarray(file.length - 8 - length, file.length - 8)).struct();
  const keyValueMetadata = new Map<string, string>();
  for (const kv of asList(meta[5])) {
    const s = asStruct(kv);
    const key = asText(s[1]);
    if (key !== undefined) keyValueMetadata.set(key, asText(s[2]) ?? "");
  }
  return {
    numRows: asNumber(meta[3]),
    rowGroups: asList(meta[4]).map((rg) => {
      const s = asStruct(rg);
      return { numRows: asNumber(s[3]), totalByteSize: asNumber(s[2]), columns: asList(s[1]).map((c) => columnChunk(asStruct(c))) };
    }),
    createdBy: asText(meta[6]),
    keyValueMetadata,
  };
}
