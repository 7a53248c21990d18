/**
 * Ordering and slot selection for 128-bit key hashes held as four u32 words.
 * "Key order" is the unsigned lexicographic order of the canonical 16 bytes
 * (each word little-endian), i.e. the order DuckDB and pyarrow give a
 * FixedSizeBinary(16) `key_hash` column.
 *
 * Hash tables place a key at a home slot that grows with its first four bytes,
 * so slot order is nearly key order: a sorted stream probes a table almost
 * sequentially, and a table is listed in key order with little work.
 */

/** Reverses the byte order of a 32-bit word; the result is unsigned. */
export function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** Compares the keys at word offsets `ai` of `a` and `bi` of `b` in key order (-1, 0, 1). */
export function compareKeys(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let w = 0; w < 4; w++) {
    const x = a[ai + w];
    const y = b[bi + w];
    if (x !== y) return bswap32(x) < bswap32(y) ? -1 : 1;
  }
  return 0;
}

/** Copies the 4 words of one hash from `from[fromAt..]` to `to[toAt..]`. */
export function copyHash(from: Uint32Array, fromAt: number, to: Uint32Array, toAt: number): void {
  to[toAt] = from[fromAt];
  to[toAt + 1] = from[fromAt + 1];
  to[toAt + 2] = from[fromAt + 2];
  to[toAt + 3] = from[fromAt + 3];
}

const TWO_POW_MINUS_32 = 2 ** -32;

/**
 * The home slot of a key whose first word is `k0` in a table of `capacity`
 * slots: monotonic in the key's first four bytes, so in key order.
 */
export function homeSlot(k0: number, capacity: number): number {
  const s = Math.floor(bswap32(k0) * capacity * TWO_POW_MINUS_32);
  return s < capacity ? s : capacity - 1;
}

/** Where the key of entry `id` starts: `words[id * stride + offset]`. */
export interface KeyLayout {
  readonly words: Uint32Array;
  readonly stride: number;
  readonly offset: number;
}

const RADIX_THRESHOLD = 1024;
const RADIX_BITS = 11;
const RADIX_BUCKETS = 1 << RADIX_BITS;
const RADIX_MASK = RADIX_BUCKETS - 1;

function layoutOf(words: Uint32Array, stride: number, offset: number): KeyLayout {
  return { words, stride, offset };
}

/**
 * Sorts `ids` in place into key order, where entry `id` has its key at
 * `words[id * stride + offset ..]` (default: 4 words per entry), and returns
 * `ids`. LSD radix sort (3 × 11 bits) on the first four key bytes, then insertion sort
 * inside the rare runs that share them.
 */
export function sortIdsByKey(words: Uint32Array, ids: Uint32Array, stride = 4, offset = 0): Uint32Array {
  const n = ids.length;
  const at = (id: number) => id * stride + offset;
  if (n < RADIX_THRESHOLD) {
    ids.set(Array.from(ids).sort((x, y) => compareKeys(words, at(x), words, at(y))));
    return ids;
  }
  let keysA = new Uint32Array(n);
  for (let k = 0; k < n; k++) keysA[k] = bswap32(words[ids[k] * stride + offset]);
  let keysB = new Uint32Array(n);
  let idsA: Uint32Array = ids;
  let idsB: Uint32Array = new Uint32Array(n);
  const counts = new Uint32Array(RADIX_BUCKETS);
  for (let shift = 0; shift < 32; shift += RADIX_BITS) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[(keysA[k] >>> shift) & RADIX_MASK]++;
    let sum = 0;
    for (let d = 0; d < RADIX_BUCKETS; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const key = keysA[k];
      const to = counts[(key >>> shift) & RADIX_MASK]++;
      keysB[to] = key;
      idsB[to] = idsA[k];
    }
    [keysA, keysB] = [keysB, keysA];
    [idsA, idsB] = [idsB, idsA];
  }
  if (idsA !== ids) ids.set(idsA);
  const layout = layoutOf(words, stride, offset);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && keysA[end] === keysA[start]) end++;
    if (end - start > 1) insertionSort(layout, ids, start, end, Infinity);
    start = end;
  }
  return ids;
}

/**
 * Sorts `ids` into key order like {@link sortIdsByKey}, fast when they are
 * already nearly sorted (as the live slots of a table listed in slot order
 * are): insertion sort, falling back to the radix sort when the input turns
 * out to be far from sorted.
 */
export function sortNearlySortedIds(words: Uint32Array, ids: Uint32Array, stride = 4, offset = 0): Uint32Array {
  const budget = 8 * ids.length + 1024;
  if (insertionSort(layoutOf(words, stride, offset), ids, 0, ids.length, budget)) return ids;
  return sortIdsByKey(words, ids, stride, offset);
}

/** Insertion sort of `ids[start, end)`; gives up (returning false) after `budget` moves. */
function insertionSort(layout: KeyLayout, ids: Uint32Array, start: number, end: number, budget: number): boolean {
  const { words, stride, offset } = layout;
  let moves = 0;
  for (let i = start + 1; i < end; i++) {
    const id = ids[i];
    const idAt = id * stride + offset;
    let j = i - 1;
    while (j >= start && compareKeys(words, ids[j] * stride + offset, words, idAt) > 0) {
      ids[j + 1] = ids[j];
      j--;
      if (++moves > budget) {
        ids[j + 1] = id;
        return false;
      }
    }
    ids[j + 1] = id;
  }
  return true;
}
