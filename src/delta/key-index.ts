/**
 * The key index in memory: an open-addressing (linear probing) hash table on
 * one typed array mapping a 128-bit key hash to a 128-bit row hash and a
 * month. Each slot is 9 words (36 bytes): month, key hash, row hash, so one
 * probe touches one cache line. The table is kept at most 80 % full (about
 * 45–75 bytes per live key) and its slot order follows key order.
 */
import { hashToHex } from "../hash/hex";
import { IndexFormatError } from "./errors";
import { homeSlot, sortNearlySortedIds } from "./key-order";

/** A run of index entries in columnar form (4 words per hash). */
export interface IndexChunk {
  /** Number of entries. */
  readonly length: number;
  /** Key hashes, 4 words per entry. */
  readonly keyHashes: Uint32Array;
  /** Row hashes, 4 words per entry. */
  readonly rowHashes: Uint32Array;
  /** Partition month of each entry, yyyy*100+mm. */
  readonly months: Int32Array;
}

const STRIDE = 9;
const KEY = 1;
const ROW = 5;
const EMPTY = 0;
const TOMBSTONE = 0xffffffff;
const MAX_LOAD = 0.8;
const SIZING_LOAD = 0.7;
const MIN_CAPACITY = 16;

function capacityFor(entries: number): number {
  return Math.max(MIN_CAPACITY, Math.ceil(entries / SIZING_LOAD));
}

function checkMonth(month: number): void {
  if ((month | 0) !== month || month < 1) {
    throw new RangeError(`Month ${month} is not a positive int32 (yyyy*100+mm); index months must be at least 1.`);
  }
}

/** Key hash → (row hash, month) for every live key of a dataset version. */
export class KeyIndex {
  private table: Uint32Array;
  private cap: number;
  private live = 0;
  private dead = 0;

  /** An empty index with room for `expectedSize` keys before it grows. */
  constructor(expectedSize = 0) {
    this.cap = capacityFor(expectedSize);
    this.table = new Uint32Array(this.cap * STRIDE);
  }

  /** Builds an index from chunks (e.g. the record batches of an index file), rejecting repeated keys. */
  static fromChunks(chunks: Iterable<IndexChunk>, expectedSize = 0): KeyIndex {
    const index = new KeyIndex(expectedSize);
    for (const chunk of chunks) index.addChunk(chunk);
    return index;
  }

  /** Number of live keys. */
  get size(): number {
    return this.live;
  }

  /** Number of slots. */
  get capacity(): number {
    return this.cap;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.table.byteLength;
  }

  /** Adds every entry of `chunk`; a key already present means a corrupt index and throws {@link IndexFormatError}. */
  addChunk(chunk: IndexChunk): void {
    const { keyHashes, rowHashes, months } = chunk;
    for (let i = 0; i < chunk.length; i++) {
      if (!this.set(keyHashes, i * 4, rowHashes, i * 4, months[i])) {
        throw new IndexFormatError(`The index lists the key hash ${hashToHex(keyHashes, i)} twice; the index is corrupt — rebuild it with "tidemark verify --repair".`);
      }
    }
  }

  /** The slot holding the key at word offset `at` of `key`, or -1. */
  find(key: Uint32Array, at: number): number {
    const k0 = key[at];
    const k1 = key[at + 1];
    const k2 = key[at + 2];
    const k3 = key[at + 3];
    const cap = this.cap;
    const t = this.table;
    let s = homeSlot(k0, cap);
    for (;;) {
      const o = s * STRIDE;
      const m = t[o];
      if (m === EMPTY) return -1;
      if (t[o + 1] === k0 && t[o + 2] === k1 && t[o + 3] === k2 && t[o + 4] === k3 && m !== TOMBSTONE) return s;
      if (++s === cap) s = 0;
    }
  }

  /** Whether the key at word offset `at` of `key` is live. */
  has(key: Uint32Array, at = 0): boolean {
    return this.find(key, at) >= 0;
  }

  /**
   * The month of the key at `key[at..]`, or 0 when absent. When present and
   * `rowOut` is given, its row hash is copied to `rowOut[rowOutAt..]`.
   */
  get(key: Uint32Array, at = 0, rowOut?: Uint32Array, rowOutAt = 0): number {
    const s = this.find(key, at);
    if (s < 0) return 0;
    const o = s * STRIDE;
    if (rowOut !== undefined) for (let w = 0; w < 4; w++) rowOut[rowOutAt + w] = this.table[o + ROW + w];
    return this.table[o];
  }

  /** Month of a live slot returned by {@link find}. */
  monthAt(slot: number): number {
    return this.table[slot * STRIDE];
  }

  /** Whether the row hash of a live slot equals `row[at..at+4)`. */
  rowHashEquals(slot: number, row: Uint32Array, at: number): boolean {
    const o = slot * STRIDE + ROW;
    const t = this.table;
    return t[o] === row[at] && t[o + 1] === row[at + 1] && t[o + 2] === row[at + 2] && t[o + 3] === row[at + 3];
  }

  /** Inserts or replaces a key; returns true when the key was new. Months must be positive int32. */
  set(key: Uint32Array, at: number, row: Uint32Array, rowAt: number, month: number): boolean {
    checkMonth(month);
    if (this.live + this.dead + 1 > this.cap * MAX_LOAD) this.rehash(capacityFor(Math.max(this.live + 1, 1) * 2));
    const k0 = key[at];
    const k1 = key[at + 1];
    const k2 = key[at + 2];
    const k3 = key[at + 3];
    const cap = this.cap;
    const t = this.table;
    let s = homeSlot(k0, cap);
    let free = -1;
    let isNew = true;
    for (;;) {
      const o = s * STRIDE;
      const m = t[o];
      if (m === EMPTY) break;
      if (m === TOMBSTONE) {
        if (free < 0) free = s;
      } else if (t[o + 1] === k0 && t[o + 2] === k1 && t[o + 3] === k2 && t[o + 4] === k3) {
        isNew = false;
        break;
      }
      if (++s === cap) s = 0;
    }
    if (isNew) {
      if (free >= 0) {
        s = free;
        this.dead--;
      }
      this.live++;
    }
    const o = s * STRIDE;
    t[o] = month;
    t[o + 1] = k0;
    t[o + 2] = k1;
    t[o + 3] = k2;
    t[o + 4] = k3;
    for (let w = 0; w < 4; w++) t[o + ROW + w] = row[rowAt + w];
    return isNew;
  }

  /** Removes a key; returns whether it was present. */
  delete(key: Uint32Array, at = 0): boolean {
    const s = this.find(key, at);
    if (s < 0) return false;
    const next = s + 1 === this.cap ? 0 : s + 1;
    if (this.table[next * STRIDE] === EMPTY) {
      this.table[s * STRIDE] = EMPTY;
    } else {
      this.table[s * STRIDE] = TOMBSTONE;
      this.dead++;
    }
    this.live--;
    return true;
  }

  /** A copy with room for at least `expectedSize` keys (and never fewer than this index holds). */
  clone(expectedSize = 0): KeyIndex {
    const copy = new KeyIndex(0);
    const want = capacityFor(Math.max(expectedSize, this.live));
    if (want <= this.cap && this.dead <= this.live / 4) {
      copy.cap = this.cap;
      copy.table = this.table.slice();
      copy.live = this.live;
      copy.dead = this.dead;
    } else {
      copy.cap = want;
      copy.table = new Uint32Array(want * STRIDE);
      copy.insertAll(this.table, this.cap);
    }
    return copy;
  }

  /** The live slots in key order (the order every export of the index uses). */
  sortedSlots(): Uint32Array {
    const t = this.table;
    const cap = this.cap;
    const slots = new Uint32Array(this.live);
    let runEnd = 0;
    while (runEnd < cap && t[runEnd * STRIDE] !== EMPTY) runEnd++;
    const wrapped: number[] = [];
    let n = 0;
    for (let s = 0; s < cap; s++) {
      const m = t[s * STRIDE];
      if (m === EMPTY || m === TOMBSTONE) continue;
      if (s < runEnd && homeSlot(t[s * STRIDE + KEY], cap) > s) wrapped.push(s);
      else slots[n++] = s;
    }
    for (const s of wrapped) slots[n++] = s;
    return sortNearlySortedIds(t, slots, STRIDE, KEY);
  }

  /** The live entries in key order, as chunks of at most `chunkSize` entries. */
  *chunks(chunkSize = 65536): Generator<IndexChunk> {
    const slots = this.sortedSlots();
    const t = this.table;
    for (let start = 0; start < slots.length; start += chunkSize) {
      const n = Math.min(chunkSize, slots.length - start);
      const keyHashes = new Uint32Array(n * 4);
      const rowHashes = new Uint32Array(n * 4);
      const months = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const o = slots[start + i] * STRIDE;
        months[i] = t[o];
        for (let w = 0; w < 4; w++) {
          keyHashes[i * 4 + w] = t[o + KEY + w];
          rowHashes[i * 4 + w] = t[o + ROW + w];
        }
      }
      yield { length: n, keyHashes, rowHashes, months };
    }
  }

  /**
   * Calls `fn(table, keyAt, rowAt, month, slot)` for every live entry in slot
   * order (nearly, not exactly, key order); the hashes are at `table[keyAt..]`
   * and `table[rowAt..]`.
   */
  forEachEntry(fn: (table: Uint32Array, keyAt: number, rowAt: number, month: number, slot: number) => void): void {
    const t = this.table;
    for (let s = 0; s < this.cap; s++) {
      const o = s * STRIDE;
      const m = t[o];
      if (m !== EMPTY && m !== TOMBSTONE) fn(t, o + KEY, o + ROW, m, s);
    }
  }

  private freeSlotFor(k0: number): number {
    const t = this.table;
    let s = homeSlot(k0, this.cap);
    for (;;) {
      const m = t[s * STRIDE];
      if (m === EMPTY || m === TOMBSTONE) return s;
      if (++s === this.cap) s = 0;
    }
  }

  private insertAll(from: Uint32Array, fromCap: number): void {
    const t = this.table;
    for (let s = 0; s < fromCap; s++) {
      const o = s * STRIDE;
      const m = from[o];
      if (m === EMPTY || m === TOMBSTONE) continue;
      const d = this.freeSlotFor(from[o + KEY]) * STRIDE;
      for (let w = 0; w < STRIDE; w++) t[d + w] = from[o + w];
      this.live++;
    }
  }

  private rehash(capacity: number): void {
    const old = this.table;
    const oldCap = this.cap;
    this.cap = capacity;
    this.table = new Uint32Array(capacity * STRIDE);
    this.live = 0;
    this.dead = 0;
    this.insertAll(old, oldCap);
  }
}
