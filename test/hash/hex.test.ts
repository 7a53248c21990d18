import { describe, expect, it } from "vitest";
import { hashToHex, hashWordsFromBytes, hexToHash, hexesToHashes, keyHashBytes } from "../../src/hash";

describe("hex and byte helpers", () => {
  it("spells each word little-endian, h1 first", () => {
    const words = new Uint32Array([0x04030201, 0x08070605, 0x0c0b0a09, 0x100f0e0d]);
    expect(hashToHex(words)).toBe("0102030405060708090a0b0c0d0e0f10");
  });

  it("round-trips hex through words", () => {
    const hex = "d1c6cd75a506b0a2a506b0a2a506b0a2";
    expect(Array.from(hexToHash(hex))).toEqual([0x75cdc6d1, 0xa2b006a5, 0xa2b006a5, 0xa2b006a5]);
    expect(hashToHex(hexToHash(hex.toUpperCase()))).toBe(hex);
    const many = hexesToHashes([hex, "0102030405060708090a0b0c0d0e0f10"]);
    expect(hashToHex(many, 1)).toBe("0102030405060708090a0b0c0d0e0f10");
  });

  it("rejects malformed hex", () => {
    expect(() => hexToHash("abc")).toThrow(RangeError);
    expect(() => hexToHash("zz".repeat(16))).toThrow(/32 hex digits/);
  });

  it("lays out 16 canonical bytes per row for FixedSizeBinary(16)", () => {
    const words = hexesToHashes(["0102030405060708090a0b0c0d0e0f10", "ffeeddccbbaa99887766554433221100"]);
    expect(Buffer.from(keyHashBytes(words)).toString("hex")).toBe("0102030405060708090a0b0c0d0e0f10ffeeddccbbaa99887766554433221100");
    expect(Buffer.from(keyHashBytes(words, 1, 2)).toString("hex")).toBe("ffeeddccbbaa99887766554433221100");
  });

  it("reads canonical bytes back, aligned or not", () => {
    const bytes = Buffer.from("00" + "0102030405060708090a0b0c0d0e0f10", "hex");
    const unaligned = new Uint8Array(bytes.buffer, bytes.byteOffset + 1, 16);
    expect(hashToHex(hashWordsFromBytes(unaligned))).toBe("0102030405060708090a0b0c0d0e0f10");
    const aligned = new Uint8Array(16);
    aligned.set(unaligned);
    expect(hashToHex(hashWordsFromBytes(aligned))).toBe("0102030405060708090a0b0c0d0e0f10");
    expect(() => hashWordsFromBytes(new Uint8Array(15))).toThrow(RangeError);
  });
});
