/**
 * Delta planning that never holds the base index: the base index streams in
 * key order and is merged with the source sorted by key. With an
 * `onIndexChunk` sink the merge also produces the next index, sorted, so
 * memory stays proportional to the source, not to the dataset.
 */
import { hashToHex } from "../hash/hex";
import { Classifier } from "./classify";
import { IndexFormatError } from "./errors";
import type { IndexChunk } from "./key-index";
import { bswap32, compareKeys, copyHash } from "./key-order";
import { SortedSource } from "./sorted-source";
import type { DeltaInput, DeltaPlanCore } from "./types";

/** Input of {@link planDeltaStreaming}. */
export interface StreamingDeltaInput extends DeltaInput {
  /**
   * The base index as chunks (e.g. record batches of its Parquet files) in
   * strictly ascending key order, or null for the first version. Out-of-order
   * or repeated keys throw {@link IndexFormatError}.
   */
  readonly base: Iterable<IndexChunk> | AsyncIterable<IndexChunk> | null;
  /** Receives the next index in key order, in chunks of `indexChunkSize` entries (awaited: backpressure). */
  readonly onIndexChunk?: (chunk: IndexChunk) => void | Promise<void>;
  /** Entries per emitted chunk (default 65,536). */
  readonly indexChunkSize?: number;
  /** Called after each base chunk with the number of base entries read so far (e.g. to heartbeat). */
  readonly onProgress?: (baseEntries: number) => void | Promise<void>;
}

/** A streamed delta. */
export interface StreamingDeltaPlan extends DeltaPlanCore {
  /** Entries in the next index (equals `counts.rowsTotal`). */
  readonly nextIndexSize: number;
}

class ChunkWriter {
  private keys!: Uint32Array;
  private rows!: Uint32Array;
  private months!: Int32Array;
  private n = 0;
  private readonly ready: IndexChunk[] = [];
  /** Entries written so far. */
  total = 0;

  constructor(private readonly size: number) {
    this.allocate();
  }

  push(keys: Uint32Array, rows: Uint32Array, at: number, month: number): void {
    const o = this.n * 4;
    copyHash(keys, at, this.keys, o);
    copyHash(rows, at, this.rows, o);
    this.months[this.n++] = month;
    this.total++;
    if (this.n === this.size) this.seal();
  }

  take(final: boolean): IndexChunk[] {
    if (final && this.n > 0) this.seal();
    return this.ready.splice(0);
  }

  private seal(): void {
    const n = this.n;
    this.ready.push({ length: n, keyHashes: this.keys.subarray(0, n * 4), rowHashes: this.rows.subarray(0, n * 4), months: this.months.subarray(0, n) });
    this.allocate();
  }

  private allocate(): void {
    this.keys = new Uint32Array(this.size * 4);
    this.rows = new Uint32Array(this.size * 4);
    this.months = new Int32Array(this.size);
    this.n = 0;
  }
}

function checkChunk(chunk: IndexChunk): void {
  const { length, keyHashes, rowHashes, months } = chunk;
  if (keyHashes.length < length * 4 || rowHashes.length < length * 4 || months.length < length) {
    throw new IndexFormatError(`An index chunk claims ${length} entries but its arrays are shorter; the index reader is broken.`);
  }
}

function sameHash(a: Uint32Array, ai: number, b: Uint32Array, bi: number): boolean {
  return a[ai] === b[bi] && a[ai + 1] === b[bi + 1] && a[ai + 2] === b[bi + 2] && a[ai + 3] === b[bi + 3];
}

/** The merge of the sorted base stream with the sorted source, one base chunk at a time. */
class Merge {
  private readonly writer: ChunkWriter | null;
  private readonly prev = new Uint32Array(4);
  private prevFirst = -1;
  private p = 0;
  /** Base entries consumed. */
  baseSize = 0;

  constructor(
    private readonly src: SortedSource,
    private readonly cls: Classifier,
    private readonly snapshot: boolean,
    chunkSize: number | null,
  ) {
    this.writer = chunkSize === null ? null : new ChunkWriter(chunkSize);
  }

  consume(chunk: IndexChunk): void {
    checkChunk(chunk);
    const { src, cls, writer, snapshot } = this;
    const { keys, rowHashes, months, first: firsts, rows } = src;
    const n = src.length;
    const bKeys = chunk.keyHashes;
    const bRows = chunk.rowHashes;
    const bMonths = chunk.months;
    let p = this.p;
    for (let i = 0; i < chunk.length; i++) {
      const at = i * 4;
      const first = bswap32(bKeys[at]);
      if (first < this.prevFirst || (first === this.prevFirst && compareKeys(this.prev, 0, bKeys, at) >= 0)) this.orderError(chunk, i);
      this.prevFirst = first;
      copyHash(bKeys, at, this.prev, 0);
      let c = 1;
      while (p < n && (firsts[p] < first || (firsts[p] === first && (c = compareKeys(keys, p * 4, bKeys, at)) < 0))) {
        writer?.push(keys, rowHashes, p * 4, months[p]);
        p++;
        c = 1;
      }
      if (p < n && firsts[p] === first && c === 0) {
        cls.matched(rows[p], months[p], sameHash(bRows, at, rowHashes, p * 4), bMonths[i]);
        writer?.push(keys, rowHashes, p * 4, months[p]);
        p++;
      } else if (snapshot) {
        cls.deleted(bKeys, at, bMonths[i]);
      } else {
        writer?.push(bKeys, bRows, at, bMonths[i]);
      }
    }
    this.p = p;
    this.baseSize += chunk.length;
  }

  /** Emits the source entries after the last base key. */
  drain(): void {
    const { keys, rowHashes, months, length } = this.src;
    if (this.writer) for (; this.p < length; this.p++) this.writer.push(keys, rowHashes, this.p * 4, months[this.p]);
  }

  ready(final: boolean): IndexChunk[] {
    return this.writer ? this.writer.take(final) : [];
  }

  get emitted(): number {
    return this.writer ? this.writer.total : 0;
  }

  private orderError(chunk: IndexChunk, i: number): never {
    throw new IndexFormatError(
      `The base index is not in strictly ascending key_hash order at entry ${this.baseSize + i} (${hashToHex(chunk.keyHashes, i)}); ` +
        `it is corrupt or was not written by Tidemark — rebuild it with "tidemark verify --repair".`,
    );
  }
}

/**
 * Plans a delta like {@link planDelta} by merging the base index stream
 * (strictly ascending key order, as Tidemark writes it) with the sorted
 * source, and optionally emits the next index (sorted) to `onIndexChunk`.
 */
export async function planDeltaStreaming(input: StreamingDeltaInput): Promise<StreamingDeltaPlan> {
  const src = new SortedSource(input);
  const cls = new Classifier(input, src.ops);
  const sink = input.onIndexChunk;
  const merge = new Merge(src, cls, input.mode === "snapshot", sink ? Math.max(1, input.indexChunkSize ?? 65536) : null);
  const flush = async (final: boolean) => {
    if (sink) for (const chunk of merge.ready(final)) await sink(chunk);
  };
  for await (const chunk of input.base ?? []) {
    merge.consume(chunk);
    await flush(false);
    if (input.onProgress) await input.onProgress(merge.baseSize);
  }
  const plan = cls.finish(merge.baseSize);
  merge.drain();
  await flush(true);
  return { ...plan, nextIndexSize: sink ? merge.emitted : plan.counts.rowsTotal };
}
