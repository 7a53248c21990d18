/**
 * Conversions between 128-bit hashes held as four u32 words per row and their
 * canonical byte form: the words h1..h4, each little-endian (16 bytes). The
 * byte form is what `_key_hash` / `key_hash` columns store and what hex strings
 * spell, two lowercase digits per byte.
 */

const HEX: string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Whether typed arrays on this platform are little-endian (byte views equal the canonical form). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The 32-digit lowercase hex of hash number `row` in `words` (4 words per hash). */
export function hashToHex(words: Uint32Array, row = 0): string {
  let s = "";
  for (let w = row * 4, end = w + 4; w < end; w++) {
    const v = words[w];
    s += HEX[v & 0xff] + HEX[(v >>> 8) & 0xff] + HEX[(v >>> 16) & 0xff] + HEX[v >>> 24];
  }
  return s;
}

/**
 * Parses a 32-digit hex hash into `out` at hash number `row` (allocating a
 * 4-word array when `out` is omitted) and returns the array.
 */
export function hexToHash(hex: string, out?: Uint32Array, row = 0): Uint32Array {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw new RangeError(`"${hex}" is not a 128-bit hash: expected exactly 32 hex digits.`);
  }
  const target = out ?? new Uint32Array(4);
  for (let w = 0; w < 4; w++) {
    let v = 0;
    for (let b = 3; b >= 0; b--) v = (v << 8) | parseInt(hex.substr(w * 8 + b * 2, 2), 16);
    target[row * 4 + w] = v;
  }
  return target;
}

/** Parses many hex hashes into one word array (4 words per hash). */
export function hexesToHashes(hexes: readonly string[]): Uint32Array {
  const out = new Uint32Array(hexes.length * 4);
  hexes.forEach((h, i) => hexToHash(h, out, i));
  return out;
}

/**
 * The canonical bytes of every hash in `words`: 16 bytes per row, ready to be
 * the values buffer of a FixedSizeBinary(16) column such as `_key_hash`.
 */
export function keyHashBytes(words: Uint32Array, rowStart = 0, rowEnd = words.length >>> 2): Uint8Array {
  const out = new Uint8Array((rowEnd - rowStart) * 16);
  writeHashBytes(words, rowStart * 4, (rowEnd - rowStart) * 4, out, 0);
  return out;
}

/** Copies `wordCount` words from `words[wordAt]` into `out[byteAt]` in canonical (little-endian) order. */
export function writeHashBytes(words: Uint32Array, wordAt: number, wordCount: number, out: Uint8Array, byteAt: number): void {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(words.buffer, words.byteOffset + wordAt * 4, wordCount * 4), byteAt);
    return;
  }
  for (let i = 0; i < wordCount; i++) {
    const v = words[wordAt + i];
    const o = byteAt + i * 4;
    out[o] = v;
    out[o + 1] = v >>> 8;
    out[o + 2] = v >>> 16;
    out[o + 3] = v >>> 24;
  }
}

/**
 * Reads canonical 16-byte hashes (e.g. the values of a FixedSizeBinary(16)
 * column) into a word array, 4 words per hash. Shares memory with `bytes`
 * when alignment and endianness allow, and copies otherwise.
 */
export function hashWordsFromBytes(bytes: Uint8Array): Uint32Array {
  if (bytes.length % 16 !== 0) throw new RangeError(`Hash bytes must be a multiple of 16 long, got ${bytes.length}.`);
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  }
  const out = new Uint32Array(bytes.length >>> 2);
  for (let w = 0, b = 0; w < out.length; w++, b += 4) {
    out[w] = bytes[b] | (bytes[b + 1] << 8) | (bytes[b + 2] << 16) | (bytes[b + 3] << 24);
  }
  return out;
}
