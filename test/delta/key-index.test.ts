import { tableToIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import {
  IndexFormatError,
  KeyIndex,
  indexChunkFromRecordBatch,
  keyIndexFromBatches,
  keyIndexToTable,
  loadKeyIndex,
  sortIdsByKey,
  sortNearlySortedIds,
} from "../../src/delta";
import { hashToHex, hexToHash, hexesToHashes } from "../../src/hash";
import { entries, h, index } from "./helpers";

const A = "01ffffffffffffffffffffffffffffff";
const B = "02000000000000000000000000000000";
const C = "0200000000000000000000000000000a";

describe("KeyIndex", () => {
  it("sets, gets, replaces and deletes", () => {
    const idx = new KeyIndex();
    const key = hexToHash(h(1));
    expect(idx.set(key, 0, hexToHash(h(0xa1)), 0, 202501)).toBe(true);
    expect(idx.set(key, 0, hexToHash(h(0xa2)), 0, 202502)).toBe(false);
    expect(idx.size).toBe(1);
    const row = new Uint32Array(4);
    expect(idx.get(key, 0, row)).toBe(202502);
    expect(hashToHex(row)).toBe(h(0xa2));
    expect(idx.get(hexToHash(h(2)))).toBe(0);
    expect(idx.delete(key)).toBe(true);
    expect(idx.delete(key)).toBe(false);
    expect(idx.has(key)).toBe(false);
    expect(idx.size).toBe(0);
  });

  it("grows and survives heavy churn with tombstones", () => {
    const idx = new KeyIndex(4);
    const keys = hexesToHashes(Array.from({ length: 3000 }, (_, i) => (i * 2654435761 >>> 0).toString(16).padStart(8, "0").repeat(4)));
    const row = hexToHash(h(7));
    for (let i = 0; i < 3000; i++) idx.set(keys, i * 4, row, 0, 200001 + (i % 12));
    expect(idx.size).toBe(3000);
    expect(idx.capacity).toBeGreaterThanOrEqual(3000 / 0.8);
    for (let round = 0; round < 5; round++) {
      for (let i = round; i < 3000; i += 2) idx.delete(keys, i * 4);
      for (let i = round; i < 3000; i += 2) idx.set(keys, i * 4, row, 0, 200001);
    }
    expect(idx.size).toBe(3000);
    let found = 0;
    for (let i = 0; i < 3000; i++) if (idx.has(keys, i * 4)) found++;
    expect(found).toBe(3000);
    expect(idx.has(hexToHash(h(0xee)))).toBe(false);
  });

  it("rejects months that are not positive int32", () => {
    const idx = new KeyIndex();
    const k = hexToHash(h(1));
    expect(() => idx.set(k, 0, k, 0, 0)).toThrow(RangeError);
    expect(() => idx.set(k, 0, k, 0, -1)).toThrow(RangeError);
    expect(() => idx.set(k, 0, k, 0, 2025.5)).toThrow(RangeError);
  });

  it("clones independently", () => {
    const base = index([[h(1), h(0xa1), 202501]]);
    const copy = base.clone(10);
    copy.set(hexToHash(h(2)), 0, hexToHash(h(0xa2)), 0, 202502);
    copy.delete(hexToHash(h(1)));
    expect(entries(base)).toEqual([[h(1), h(0xa1), 202501]]);
    expect(entries(copy)).toEqual([[h(2), h(0xa2), 202502]]);
  });

  it("iterates in key byte order, not word order or insertion order", () => {
    const idx = index([
      [C, h(3), 202503],
      [B, h(2), 202502],
      [A, h(1), 202501],
    ]);
    expect(entries(idx).map((e) => e[0])).toEqual([A, B, C]);
  });

  it("lists keys in order when probing wraps around the end of the table", () => {
    const high = ["ff0000", "ff1111", "ff2222", "fe0000", "fd0000"].map((p) => p.padEnd(32, "0"));
    const low = ["00", "01", "02"].map((p) => p.padEnd(32, "0"));
    const idx = index([...high, ...low].map((k, i): [string, string, number] => [k, h(i), 202501]));
    expect(idx.capacity).toBe(16);
    expect(entries(idx).map((e) => e[0])).toEqual([...low, ...high].sort());
    for (const k of [...high, ...low]) expect(idx.has(hexToHash(k))).toBe(true);
  });

  it("sorts nearly sorted and far-from-sorted id sets alike", () => {
    const n = 3000;
    const hexes = Array.from({ length: n }, (_, i) => i.toString(16).padStart(8, "0").repeat(4));
    const words = hexesToHashes(hexes);
    const reversed = Uint32Array.from({ length: n }, (_, i) => n - 1 - i);
    expect(Array.from(sortNearlySortedIds(words, reversed), (i) => hexes[i])).toEqual([...hexes].sort());
    const nearly = Uint32Array.from({ length: n }, (_, i) => (i % 2 === 0 && i + 1 < n ? i + 1 : i % 2 === 1 ? i - 1 : i));
    expect(Array.from(sortNearlySortedIds(words, nearly), (i) => hexes[i])).toEqual([...hexes].sort());
  });

  it("sorts large id sets by key bytes (radix path)", () => {
    const n = 5000;
    const hexes = Array.from({ length: n }, (_, i) => ((i * 7919) % 97).toString(16).padStart(2, "0") + (i * 2654435761 >>> 0).toString(16).padStart(8, "0").repeat(3) + "000000");
    const words = hexesToHashes(hexes);
    const ids = sortIdsByKey(words, Uint32Array.from({ length: n }, (_, i) => i));
    expect(Array.from(ids, (i) => hexes[i])).toEqual([...hexes].sort());
  });

  it("round-trips through Arrow, sorted, with byte-identical output for the same content", async () => {
    const rows: Array<[string, string, number]> = [
      [C, h(3), 202503],
      [A, h(1), 202501],
      [B, h(2), 202502],
    ];
    const one = index(rows);
    const two = index([...rows].reverse());
    const table = keyIndexToTable(one);
    expect(table.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`)).toEqual([
      "key_hash:FixedSizeBinary[16]:false",
      "row_hash:FixedSizeBinary[16]:false",
      "month:Int32:false",
    ]);
    expect(Buffer.from(table.getChild("key_hash")!.get(0) as Uint8Array).toString("hex")).toBe(A);
    expect(Array.from(table.getChild("month")!.toArray() as Int32Array)).toEqual([202501, 202502, 202503]);
    expect(Buffer.from(tableToIPC(keyIndexToTable(two))).equals(Buffer.from(tableToIPC(table)))).toBe(true);
    expect(entries(keyIndexFromBatches(table.batches, 3))).toEqual(entries(one));
    expect(entries(await loadKeyIndex((async function* () { yield* keyIndexToTable(one, 2).batches; })()))).toEqual(entries(one));
    expect(keyIndexToTable(one, 2).batches.map((b) => b.numRows)).toEqual([2, 1]);
    expect(keyIndexToTable(new KeyIndex()).numRows).toBe(0);
  });

  it("rejects malformed index batches", () => {
    const batch = keyIndexToTable(index([[A, h(1), 202501], [B, h(2), 202502]])).batches[0];
    const chunk = indexChunkFromRecordBatch(batch);
    expect(chunk.length).toBe(2);
    const twice = keyIndexToTable(index([[A, h(1), 202501]])).batches[0];
    expect(() => keyIndexFromBatches([twice, twice])).toThrow(IndexFormatError);
    expect(() => keyIndexFromBatches([twice, twice])).toThrow(/lists the key hash 01ff.* twice/);
    const renamed = keyIndexToTable(index([[A, h(1), 202501]])).select(["key_hash", "month"]).batches[0];
    expect(() => indexChunkFromRecordBatch(renamed)).toThrow(/no "row_hash" column/);
  });
});
