/**
 * Arrow <-> Parquet through parquet-wasm (arrow-rs compiled to WebAssembly).
 * Tables cross the JS/wasm boundary as Arrow IPC streams.
 *
 * Memory: wasm linear memory grows to the largest working set ever needed and
 * is never returned to the OS (later calls reuse it). Encoding needs the IPC
 * copy of the table plus the output in wasm; decoding is sliced by row groups.
 * wasm32 caps it at 4 GiB. A Rust panic or allocation failure inside wasm
 * surfaces as `RuntimeError: unreachable` (wrapped in ParquetCodecError).
 */
import { DataType, type RecordBatch, type Schema, Table, tableFromIPC, tableToIPC } from "apache-arrow";
import * as pw from "parquet-wasm/node";
import { TidemarkError } from "../errors";
import { dictionaryPays } from "./dictionary";
import { type RowGroupInfo, readFooter } from "./footer";

/** Compression codecs offered by {@link encodeParquet}. */
export type ParquetCompression = "zstd" | "snappy" | "none";

/** Default maximum rows per row group. */
export const DEFAULT_ROW_GROUP_SIZE = 128 * 1024;

/** Default rows per decoded record batch. */
export const DEFAULT_BATCH_SIZE = 64 * 1024;

const MIN_SLICE_BYTES = 4 * 1024 * 1024;

/** A Parquet file could not be written or read. */
export class ParquetCodecError extends TidemarkError {
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Options of {@link encodeParquet}. */
export interface EncodeOptions {
  /** Maximum rows per row group (default {@link DEFAULT_ROW_GROUP_SIZE}). */
  rowGroupSize?: number;
  /** Page compression (default `"zstd"`). */
  compression?: ParquetCompression;
  /**
   * Dictionary-encode pages (falling back to plain past a 1 MiB dictionary).
   * `"auto"` (default) enables it except for Float64 and FixedSizeBinary columns,
   * which are usually high-cardinality: there a 128k-row dictionary made files
   * ~3x larger and slower to write. `"sampled"` enables it only for columns whose
   * values repeat in a sample ({@link dictionaryPays}), so mostly distinct strings
   * and integers are written plain too (faster, and smaller under ZSTD).
   */
  dictionary?: boolean | "auto" | "sampled";
}

/** Options of {@link decodeParquet}. */
export interface DecodeOptions {
  /** Columns to return, in this order; all columns when absent. */
  columns?: string[];
  /**
   * Uncompressed bytes of row groups decoded per wasm call (default max(4 MiB, file size)).
   * Each call copies the whole file into wasm, so smaller slices lower peak memory but add copies.
   */
  sliceBytes?: number;
}

/** Options of {@link decodeParquetBatches}. */
export interface BatchOptions {
  /** Columns to read, in this order; all when absent. Unread columns are never fetched or decoded. */
  columns?: string[];
  /** Rows per yielded batch (default {@link DEFAULT_BATCH_SIZE}); a batch never spans row groups. */
  batchSize?: number;
  /** Only these row groups, in file order. */
  rowGroups?: number[];
}

/** Summary of a Parquet file's footer. */
export interface ParquetMetadata {
  numRows: number;
  numRowGroups: number;
  rowGroups: RowGroupInfo[];
  /** Arrow view of the columns (as decoding would produce them). */
  columns: { name: string; type: string }[];
  schema: Schema;
  /** Distinct page codecs used by the column chunks, e.g. `["ZSTD"]`. */
  compressions: string[];
  createdBy: string | undefined;
  keyValueMetadata: Map<string, string>;
}

const CODECS: Record<ParquetCompression, pw.Compression> = {
  zstd: pw.Compression.ZSTD,
  snappy: pw.Compression.SNAPPY,
  none: pw.Compression.UNCOMPRESSED,
};

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TidemarkError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new ParquetCodecError(`${what} failed: ${message}`, { cause: err });
  }
}

/**
 * Encodes an Arrow table as Parquet: ZSTD pages (by default), chunk and page
 * statistics, row groups of at most `rowGroupSize` rows. The Arrow schema is
 * embedded (`ARROW:schema`), so dictionary columns and the `"UTC"` timezone
 * come back unchanged from {@link decodeParquet}.
 */
export function encodeParquet(table: Table, opts: EncodeOptions = {}): Uint8Array {
  const rowGroupSize = opts.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new RangeError(`rowGroupSize must be a positive integer; got ${rowGroupSize}.`);
  }
  const codec = CODECS[opts.compression ?? "zstd"];
  if (codec === undefined) throw new RangeError(`Unknown compression "${opts.compression}"; use zstd, snappy or none.`);
  return wrap("Writing Parquet", () => {
    const dictionary = opts.dictionary ?? "auto";
    let builder = new pw.WriterPropertiesBuilder()
      .setCompression(codec)
      .setStatisticsEnabled(pw.EnabledStatistics.Page)
      .setMaxRowGroupSize(rowGroupSize)
      .setDictionaryEnabled(dictionary !== false);
    for (const field of table.schema.fields) {
      const plain =
        dictionary === "auto" ? DataType.isFloat(field.type) || DataType.isFixedSizeBinary(field.type) : dictionary === "sampled" && !dictionaryPays(table.getChild(field.name)!);
      if (plain) builder = builder.setColumnDictionaryEnabled(field.name, false);
    }
    return pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(table, "stream")), builder.build());
  });
}

function checkColumns(schema: Schema, columns: string[]): void {
  const names = new Set(schema.fields.map((f) => f.name));
  const missing = columns.filter((c) => !names.has(c));
  if (missing.length > 0) {
    throw new ParquetCodecError(`Parquet file has no column ${missing.map((c) => `"${c}"`).join(", ")}; it has ${[...names].join(", ")}.`);
  }
}

/**
 * Decodes a whole Parquet file into one Arrow table (batches of up to
 * {@link DEFAULT_BATCH_SIZE} rows; a batch may span row groups of one slice).
 *
 * Row groups are decoded a slice at a time (see {@link DecodeOptions.sliceBytes}),
 * keeping the wasm working set near file size + a few times the slice instead
 * of ~4x the whole decoded table. parquet-wasm 0.8.0's synchronous reader
 * ignores its `columns` option, so every column is decoded and the projection
 * is applied afterwards; {@link decodeParquetBatches} really skips unrequested columns.
 */
export function decodeParquet(bytes: Uint8Array, opts: DecodeOptions = {}): Table {
  const footer = readFooter(bytes);
  const table = wrap("Reading Parquet", () => {
    const target = opts.sliceBytes ?? Math.max(MIN_SLICE_BYTES, bytes.length);
    const slices = planSlices(footer.rowGroups.map((rg) => rg.totalByteSize), target);
    if (slices.length <= 1) return tableFromIPC(pw.readParquet(bytes, { batchSize: DEFAULT_BATCH_SIZE }).intoIPCStream());
    let schema: Schema | undefined;
    const batches: RecordBatch[] = [];
    for (const rowGroups of slices) {
      const part = tableFromIPC(pw.readParquet(bytes, { rowGroups, batchSize: DEFAULT_BATCH_SIZE }).intoIPCStream());
      schema ??= part.schema;
      batches.push(...part.batches);
    }
    return new Table(schema as Schema, batches);
  });
  if (opts.columns === undefined) return table;
  checkColumns(table.schema, opts.columns);
  return table.select(opts.columns);
}

function planSlices(sizes: number[], target: number): number[][] {
  const slices: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  sizes.forEach((size, i) => {
    current.push(i);
    bytes += size;
    if (bytes >= target) {
      slices.push(current);
      current = [];
      bytes = 0;
    }
  });
  if (current.length > 0) slices.push(current);
  return slices;
}

/** Reads the Arrow schema a decode would produce, from the footer only. */
export function parquetSchema(bytes: Uint8Array): Schema {
  return wrap("Reading the Parquet schema", () => tableFromIPC(pw.readSchema(bytes).intoIPCStream()).schema);
}

function asBlob(source: Uint8Array | Blob): Blob {
  return source instanceof Blob ? source : new Blob([source as Uint8Array<ArrayBuffer>]);
}

async function openFile(source: Uint8Array | Blob): Promise<pw.ParquetFile> {
  try {
    return await pw.ParquetFile.fromFile(asBlob(source));
  } catch (err) {
    throw new ParquetCodecError(`Opening Parquet failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Streams a Parquet file as Arrow record batches, row group by row group.
 * Only the footer and the byte ranges of the requested columns of the current
 * row group are read into wasm memory, so the wasm working set is about one
 * row group of the projected columns. Pass a disk-backed `Blob` (Node's
 * `fs.openAsBlob(path)`) to avoid holding the file in memory at all; a
 * `Uint8Array` is wrapped in a `Blob` (one copy). Each yielded batch is an
 * independent JS copy; drop it to release it.
 */
export async function* decodeParquetBatches(source: Uint8Array | Blob, opts: BatchOptions = {}): AsyncGenerator<RecordBatch> {
  const file = await openFile(source);
  try {
    const columns = opts.columns;
    const count = file.metadata().numRowGroups();
    const bad = (opts.rowGroups ?? []).filter((g) => !Number.isInteger(g) || g < 0 || g >= count);
    if (bad.length > 0) throw new ParquetCodecError(`Parquet file has ${count} row groups; cannot read row group ${bad.join(", ")}.`);
    if (columns !== undefined) {
      checkColumns(tableFromIPC(file.schema().intoIPCStream()).schema, columns);
    }
    const stream: ReadableStream<pw.RecordBatch> = await file.stream({
      batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
      columns,
      rowGroups: opts.rowGroups,
      concurrency: 1,
    });
    for await (const wasmBatch of stream as unknown as AsyncIterable<pw.RecordBatch>) {
      const table = tableFromIPC(wasmBatch.intoIPCStream());
      const ordered = columns === undefined ? table : table.select(columns);
      for (const batch of ordered.batches) yield batch;
    }
  } finally {
    file.free();
  }
}

/**
 * Reads the footer: row and row-group counts, per-chunk codec and statistics
 * presence, and the Arrow schema a decode would produce. Only the footer is parsed.
 */
export function parquetMetadata(bytes: Uint8Array): ParquetMetadata {
  const footer = readFooter(bytes);
  const schema = parquetSchema(bytes);
  const codecs = new Set(footer.rowGroups.flatMap((rg) => rg.columns.map((c) => c.codec)));
  return {
    numRows: footer.numRows,
    numRowGroups: footer.rowGroups.length,
    rowGroups: footer.rowGroups,
    columns: schema.fields.map((f) => ({ name: f.name, type: String(f.type) })),
    schema,
    compressions: [...codecs].sort(),
    createdBy: footer.createdBy,
    keyValueMetadata: footer.keyValueMetadata,
  };
}
