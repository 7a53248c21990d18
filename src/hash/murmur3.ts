/**
 * MurmurHash3 x86_128 (Austin Appleby's 32-bit, 128-bit-output variant) over a
 * byte range, with 32-bit integer arithmetic only.
 *
 * The four 32-bit result words h1..h4 are written as unsigned integers; their
 * canonical byte form is h1..h4 each little-endian, which is what the reference
 * C implementation stores and what Python's `mmh3.hash_bytes(data, seed,
 * x64arch=False)` returns.
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789 | 0;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93 | 0;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/**
 * Hashes `data[start, end)` with MurmurHash3 x86_128 and writes the four result
 * words to `out[outAt .. outAt + 3]`.
 */
export function murmur3x86_128(data: Uint8Array, start: number, end: number, seed: number, out: Uint32Array, outAt: number): void {
  const len = end - start;
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  const blockEnd = start + (len & ~15);
  let i = start;
  for (; i < blockEnd; i += 16) {
    let k1 = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    let k2 = data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24);
    let k3 = data[i + 8] | (data[i + 9] << 8) | (data[i + 10] << 16) | (data[i + 11] << 24);
    let k4 = data[i + 12] | (data[i + 13] << 8) | (data[i + 14] << 16) | (data[i + 15] << 24);

    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, C2);
    h1 = (h1 << 19) | (h1 >>> 13);
    h1 = (Math.imul(h1 + h2, 5) + 0x561ccd1b) | 0;

    k2 = Math.imul(k2, C2);
    k2 = (k2 << 16) | (k2 >>> 16);
    h2 ^= Math.imul(k2, C3);
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (Math.imul(h2 + h3, 5) + 0x0bcaa747) | 0;

    k3 = Math.imul(k3, C3);
    k3 = (k3 << 17) | (k3 >>> 15);
    h3 ^= Math.imul(k3, C4);
    h3 = (h3 << 15) | (h3 >>> 17);
    h3 = (Math.imul(h3 + h4, 5) + 0x96cd1c35) | 0;

    k4 = Math.imul(k4, C4);
    k4 = (k4 << 18) | (k4 >>> 14);
    h4 ^= Math.imul(k4, C1);
    h4 = (h4 << 13) | (h4 >>> 19);
    h4 = (Math.imul(h4 + h1, 5) + 0x32ac3b17) | 0;
  }

  const rest = len & 15;
  if (rest > 12) {
    let k4 = data[i + 12];
    if (rest > 13) k4 |= data[i + 13] << 8;
    if (rest > 14) k4 |= data[i + 14] << 16;
    k4 = Math.imul(k4, C4);
    k4 = (k4 << 18) | (k4 >>> 14);
    h4 ^= Math.imul(k4, C1);
  }
  if (rest > 8) {
    let k3 = data[i + 8];
    if (rest > 9) k3 |= data[i + 9] << 8;
    if (rest > 10) k3 |= data[i + 10] << 16;
    if (rest > 11) k3 |= data[i + 11] << 24;
    k3 = Math.imul(k3, C3);
    k3 = (k3 << 17) | (k3 >>> 15);
    h3 ^= Math.imul(k3, C4);
  }
  if (rest > 4) {
    let k2 = data[i + 4];
    if (rest > 5) k2 |= data[i + 5] << 8;
    if (rest > 6) k2 |= data[i + 6] << 16;
    if (rest > 7) k2 |= data[i + 7] << 24;
    k2 = Math.imul(k2, C2);
    k2 = (k2 << 16) | (k2 >>> 16);
    h2 ^= Math.imul(k2, C3);
  }
  if (rest > 0) {
    let k1 = data[i];
    if (rest > 1) k1 |= data[i + 1] << 8;
    if (rest > 2) k1 |= data[i + 2] << 16;
    if (rest > 3) k1 |= data[i + 3] << 24;
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, C2);
  }

  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[outAt] = h1;
  out[outAt + 1] = h2;
  out[outAt + 2] = h3;
  out[outAt + 3] = h4;
}

/** MurmurHash3 x86_128 of a whole byte array, as four unsigned 32-bit words. */
export function murmur3x86_128Words(data: Uint8Array, seed = 0): Uint32Array {
  const out = new Uint32Array(4);
  murmur3x86_128(data, 0, data.length, seed, out, 0);
  return out;
}
