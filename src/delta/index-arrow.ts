/**
 * The key index as Arrow: columns `key_hash` FixedSizeBinary(16), `row_hash`
 * FixedSizeBinary(16), `month` Int32, all non-null, rows in key order. The
 * same index always yields the same batches, hence byte-identical Parquet.
 */
import {
  type Data,
  DataType,
  Field,
  FixedSizeBinary,
  Int32,
  RecordBatch,
  Schema,
  Struct,
  Table,
  makeData,
} from "apache-arrow";
import { LITTLE_ENDIAN, hashWordsFromBytes, writeHashBytes } from "../hash/hex";
import { IndexFormatError } from "./errors";
import { type IndexChunk, KeyIndex } from "./key-index";

/** Schema of index files. */
export const INDEX_SCHEMA = new Schema([
  new Field("key_hash", new FixedSizeBinary(16), false),
  new Field("row_hash", new FixedSizeBinary(16), false),
  new Field("month", new Int32(), false),
]);

/** Default rows per record batch when exporting a whole index. */
export const INDEX_BATCH_ROWS = 1 << 20;

function hashBytes(words: Uint32Array, length: number): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(words.buffer, words.byteOffset, length * 16);
  const out = new Uint8Array(length * 16);
  writeHashBytes(words, 0, length * 4, out, 0);
  return out;
}

/** One index chunk as a record batch of {@link INDEX_SCHEMA}; shares memory with the chunk's arrays. */
export function indexChunkToRecordBatch(chunk: IndexChunk): RecordBatch {
  const length = chunk.length;
  const fsb = new FixedSizeBinary(16);
  const children = [
    makeData({ type: fsb, length, nullCount: 0, data: hashBytes(chunk.keyHashes, length) }),
    makeData({ type: fsb, length, nullCount: 0, data: hashBytes(chunk.rowHashes, length) }),
    makeData({ type: new Int32(), length, nullCount: 0, data: chunk.months.subarray(0, length) }),
  ];
  return new RecordBatch(INDEX_SCHEMA, makeData({ type: new Struct(INDEX_SCHEMA.fields), length, nullCount: 0, children }));
}

/** The whole index as a table in key order, `batchRows` rows per record batch. */
export function keyIndexToTable(index: KeyIndex, batchRows = INDEX_BATCH_ROWS): Table {
  const batches = [...index.chunks(batchRows)].map(indexChunkToRecordBatch);
  return batches.length > 0 ? new Table(batches) : new Table(INDEX_SCHEMA);
}

function column(batch: RecordBatch, name: string): Data {
  const i = batch.schema.fields.findIndex((f) => f.name === name);
  if (i < 0) {
    throw new IndexFormatError(`The index batch has no "${name}" column (it has ${batch.schema.fields.map((f) => f.name).join(", ")}); it is not a Tidemark key index.`);
  }
  const data = batch.data.children[i] as Data;
  if (data.nullCount > 0) throw new IndexFormatError(`The index column "${name}" contains nulls; the index is corrupt — rebuild it with "tidemark verify --repair".`);
  return data;
}

function hashColumn(batch: RecordBatch, name: string): Uint32Array {
  const data = column(batch, name);
  const type = data.type as DataType;
  if (DataType.isFixedSizeBinary(type) && type.byteWidth === 16) {
    return hashWordsFromBytes((data.values as Uint8Array).subarray(0, data.length * 16));
  }
  if (DataType.isBinary(type)) {
    const offsets = data.valueOffsets as Int32Array;
    for (let i = 0; i < data.length; i++) {
      if (offsets[i + 1] - offsets[i] !== 16) throw new IndexFormatError(`The index column "${name}" has a value of ${offsets[i + 1] - offsets[i]} bytes at row ${i}; hashes are 16 bytes.`);
    }
    return hashWordsFromBytes((data.values as Uint8Array).subarray(offsets[0], offsets[0] + data.length * 16));
  }
  throw new IndexFormatError(`The index column "${name}" has type ${String(type)}; expected FixedSizeBinary(16).`);
}

/** Reads one record batch of an index file (FixedSizeBinary(16) or 16-byte Binary hashes, Int32 months). */
export function indexChunkFromRecordBatch(batch: RecordBatch): IndexChunk {
  const keyHashes = hashColumn(batch, "key_hash");
  const rowHashes = hashColumn(batch, "row_hash");
  const monthData = column(batch, "month");
  if (!(monthData.values instanceof Int32Array)) {
    throw new IndexFormatError(`The index column "month" has type ${String(monthData.type)}; expected Int32.`);
  }
  return { length: batch.numRows, keyHashes, rowHashes, months: monthData.values.subarray(0, batch.numRows) };
}

/** Adapts record batches of index files (sync or async) to the chunks {@link planDeltaStreaming} reads. */
export async function* indexChunks(batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>): AsyncGenerator<IndexChunk> {
  for await (const batch of batches) yield indexChunkFromRecordBatch(batch);
}

/**
 * Builds a {@link KeyIndex} from the record batches of one or more index files,
 * one batch at a time; pass the index's row count as `expectedSize` (from the
 * version manifest) to avoid regrowing.
 */
export async function loadKeyIndex(batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>, expectedSize = 0): Promise<KeyIndex> {
  const index = new KeyIndex(expectedSize);
  for await (const batch of batches) index.addChunk(indexChunkFromRecordBatch(batch));
  return index;
}

/** Synchronous {@link loadKeyIndex} for batches already in memory (e.g. `table.batches`). */
export function keyIndexFromBatches(batches: Iterable<RecordBatch>, expectedSize = 0): KeyIndex {
  const index = new KeyIndex(expectedSize);
  for (const batch of batches) index.addChunk(indexChunkFromRecordBatch(batch));
  return index;
}
