/** Source format readers: CSV, JSON, NDJSON, XLSX and Parquet into raw columnar batches. */
import type { SourceFormat, SourceOptions } from "../definition/schema.js";
import { readCsv } from "./csv.js";
import { type SourceInput, inputChunks } from "./input.js";
import { readJson, readNdjson } from "./json.js";
import { limitBatches, type ReadLimits } from "./limits.js";
import type { RawBatch } from "./types.js";
import { readXlsx } from "./xlsx.js";

export { readCsv, type CsvReadOptions } from "./csv.js";
export { SourceFormatError } from "./errors.js";
export { type SourceInput, inputPath } from "./input.js";
export { readJson, readNdjson } from "./json.js";
export { JsonNumber, losesDigits, mayLoseDigits } from "./json-number.js";
export { limitBatches, type ReadLimits } from "./limits.js";
export * from "./types.js";
export { cellValue, readXlsx } from "./xlsx.js";

/**
 * Streams a Parquet source as raw batches (see ./parquet.ts); parquet-wasm is loaded on first
 * use, so processes that never read Parquet (`tidemark serve`) never load it.
 */
export async function* readParquet(...args: Parameters<typeof import("./parquet.js").readParquet>): AsyncGenerator<RawBatch> {
  const { readParquet: read } = await import("./parquet.js");
  yield* read(...args);
}

/** Options of {@link readSource}. */
export interface ReadSourceOptions {
  /** The file's name in error messages, e.g. "series.csv". */
  readonly fileLabel: string;
  /** Source columns the caller will read; lets columnar formats (Parquet) skip the rest. */
  readonly columns?: readonly string[];
  /** Rows per batch (default 65,536). */
  readonly batchRows?: number;
  /** Longest CSV record in bytes (default 64 MiB). */
  readonly maxRecordBytes?: number;
  /** The worker's size limits, checked batch by batch while the source streams. */
  readonly limits?: ReadLimits;
}

/**
 * Streams `input` as raw batches in the given format. Errors in the bytes are
 * {@link SourceFormatError}s naming the file (and the row when known).
 */
export function readSource(input: SourceInput, format: SourceFormat, options: SourceOptions, read: ReadSourceOptions): AsyncGenerator<RawBatch> {
  const limits = read.limits ?? {};
  return limitBatches(readFormat(input, format, options, read, limits), limits, read.fileLabel, format === "xlsx");
}

function readFormat(input: SourceInput, format: SourceFormat, options: SourceOptions, read: ReadSourceOptions, limits: ReadLimits): AsyncGenerator<RawBatch> {
  const label = read.fileLabel;
  switch (format) {
    case "csv": {
      const maxRecordBytes = Math.min(read.maxRecordBytes ?? options.max_row_bytes ?? Infinity, limits.rowBytes ?? Infinity);
      return readCsv(inputChunks(input, label), options, { ...read, ...(Number.isFinite(maxRecordBytes) ? { maxRecordBytes } : {}) });
    }
    case "ndjson":
      return readNdjson(inputChunks(input, label), label, read.batchRows, limits);
    case "json":
      return readJson(inputChunks(input, label), label, options.records_path, read.batchRows, limits);
    case "xlsx":
      return readXlsx(inputChunks(input, label), options, label, read.batchRows, limits);
    case "parquet":
      return readParquet(input, label, read.columns, limits.decompressedBytes);
  }
}
