import { describe, expect, it } from "vitest";
import { hashToHex, murmur3x86_128, murmur3x86_128Words } from "../../src/hash";

/** Expected values from Python `mmh3.hash_bytes(data, 0, x64arch=False).hex()` (mmh3 5.3.1). */
const VECTORS: Array<[string, Uint8Array, string]> = [
  ["empty", new Uint8Array(0), "00000000000000000000000000000000"],
  ["1 byte", ascii("a"), "3c9394a71bb056551bb056551bb05655"],
  ["2 bytes", ascii("ab"), "df5184151030be251030be251030be25"],
  ["3 bytes", ascii("abc"), "d1c6cd75a506b0a2a506b0a2a506b0a2"],
  ["4 bytes", ascii("abcd"), "aaccb6962ec6af452ec6af452ec6af45"],
  ["5 bytes", ascii("abcde"), "fb2e40c5bcc5245d7701725a7701725a"],
  ["15 bytes", ascii("0123456789abcde"), "6dc4763cc018084dda33d4adfa7386a7"],
  ["16 bytes", ascii("0123456789abcdef"), "09447dfb0ad3ae369b1dad48fd3b2b57"],
  ["17 bytes", ascii("0123456789abcdefg"), "36981f7f76386b5130c029ac74f3d6f9"],
  ["31 bytes 0..30", bytes(31, (i) => i), "ee92ab24ca891dac18bcf545a3ddd59a"],
  ["32 bytes 0..31", bytes(32, (i) => i), "fd6ab1d6805779a47575bdb7ce89df97"],
  ["33 bytes with high bits", bytes(33, (i) => (i * 37 + 200) % 256), "b9fa55e940b0d0b5b3d9dd76244ef73a"],
  ["unicode", new TextEncoder().encode("Zürich – 東京 🌊"), "dfc4472738cd031d43645e9041f4be77"],
  ["fox", ascii("The quick brown fox jumps over the lazy dog"), "c383152f672ceeec6cf67b5d2c1de9e5"],
  ["1000 bytes", bytes(1000, (i) => (i * 7 + 3) % 256), "cd0764b17fb5c13f20d816156055445e"],
];

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function bytes(n: number, f: (i: number) => number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => f(i));
}

describe("murmur3x86_128", () => {
  it.each(VECTORS)("matches mmh3 for %s", (_name, data, hex) => {
    expect(hashToHex(murmur3x86_128Words(data))).toBe(hex);
  });

  it("the unicode fixture is the UTF-8 bytes mmh3 was given", () => {
    expect(Buffer.from(VECTORS[12][1]).toString("hex")).toBe("5ac3bc7269636820e2809320e69db1e4baac20f09f8c8a");
  });

  it("hashes a sub-range of a larger buffer and writes at an output offset", () => {
    const padded = new Uint8Array(50).fill(0xee);
    padded.set(ascii("0123456789abcdefg"), 7);
    const out = new Uint32Array(12);
    murmur3x86_128(padded, 7, 24, 0, out, 4);
    expect(hashToHex(out, 1)).toBe("36981f7f76386b5130c029ac74f3d6f9");
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(out.subarray(8))).toEqual([0, 0, 0, 0]);
  });

  it("depends on the seed", () => {
    expect(hashToHex(murmur3x86_128Words(ascii("abc"), 1))).not.toBe("d1c6cd75a506b0a2a506b0a2a506b0a2");
  });
});
