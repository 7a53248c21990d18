import { describe, expect, it } from "vitest";
import { type IndexChunk, IndexFormatError, indexChunks, keyIndexToTable, planDeltaStreaming } from "../../src/delta";
import { hashToHex } from "../../src/hash";
import { type Row, h, hexList, index, source } from "./helpers";

const K1 = h(0x11);
const K2 = h(0x22);
const K3 = h(0x33);
const K4 = h(0x44);
const R1 = h(0xa1);
const R2 = h(0xa2);
const R3 = h(0xa3);
const R4 = h(0xa4);
const R9 = h(0xa9);

const BASE: Row[] = [
  [K1, R1, 202501],
  [K2, R2, 202501],
  [K3, R3, 202502],
];

function chunkOf(rows: Row[]): IndexChunk {
  const s = source(rows);
  return { length: rows.length, keyHashes: s.keyHashes, rowHashes: s.rowHashes, months: s.months };
}

function collect(chunks: IndexChunk[]): Row[] {
  return chunks.flatMap((c) => Array.from({ length: c.length }, (_, i): Row => [hashToHex(c.keyHashes, i), hashToHex(c.rowHashes, i), c.months[i]]));
}

describe("planDeltaStreaming", () => {
  it("merges the sorted base with the source into sorted index chunks", async () => {
    const out: IndexChunk[] = [];
    const progress: number[] = [];
    const plan = await planDeltaStreaming({
      ...source([
        [K4, R4, 202503],
        [K2, R9, 202501],
        [K1, R1, 202501],
      ]),
      mode: "upsert",
      duplicates: "error",
      base: [chunkOf(BASE.slice(0, 2)), chunkOf(BASE.slice(2))],
      indexChunkSize: 3,
      onIndexChunk: (c) => {
        out.push(c);
      },
      onProgress: (n) => {
        progress.push(n);
      },
    });
    expect(Array.from(plan.ops)).toEqual([1, 2, 0]);
    expect(plan.counts).toEqual({ inserted: 1, updated: 1, deleted: 0, unchanged: 1, rowsTotal: 4, moved: 0, dropped: 0 });
    expect(plan.nextIndexSize).toBe(4);
    expect(out.map((c) => c.length)).toEqual([3, 1]);
    expect(collect(out)).toEqual([
      [K1, R1, 202501],
      [K2, R9, 202501],
      [K3, R3, 202502],
      [K4, R4, 202503],
    ]);
    expect(progress).toEqual([2, 3]);
  });

  it("emits only the source in snapshot mode and lists the deletes", async () => {
    const out: IndexChunk[] = [];
    const plan = await planDeltaStreaming({
      ...source([[K2, R2, 202501], [K4, R4, 202503]]),
      mode: "snapshot",
      duplicates: "error",
      base: indexChunks(keyIndexToTable(index(BASE), 2).batches),
      onIndexChunk: async (c) => {
        out.push(c);
      },
    });
    expect(Array.from(plan.ops)).toEqual([0, 1]);
    expect(hexList(plan.deletes.keyHashes)).toEqual([K1, K3]);
    expect(Array.from(plan.deletes.months)).toEqual([202501, 202502]);
    expect(collect(out)).toEqual([
      [K2, R2, 202501],
      [K4, R4, 202503],
    ]);
  });

  it("plans without emitting an index when no sink is given", async () => {
    const plan = await planDeltaStreaming({
      ...source([[K1, R9, 202502]]),
      mode: "snapshot",
      duplicates: "error",
      base: [chunkOf([BASE[0]]), chunkOf([]), chunkOf([BASE[1], BASE[2]])],
    });
    expect(Array.from(plan.ops)).toEqual([2]);
    expect(Array.from(plan.moves.fromMonths)).toEqual([202501]);
    expect(hexList(plan.deletes.keyHashes)).toEqual([K2, K3]);
    expect(plan.nextIndexSize).toBe(1);
  });

  it("refuses an unsorted or repeated base, across chunks too", async () => {
    const run = (chunks: Row[][], sink?: () => void) =>
      planDeltaStreaming({ ...source([]), mode: "upsert", duplicates: "error", base: chunks.map(chunkOf), onIndexChunk: sink });
    await expect(run([[BASE[1], BASE[0]]], () => undefined)).rejects.toThrow(IndexFormatError);
    await expect(run([[BASE[1]], [BASE[0]]])).rejects.toThrow(IndexFormatError);
    await expect(run([[BASE[0], BASE[0]]])).rejects.toThrow(
      `The base index is not in strictly ascending key_hash order at entry 1 (${K1}); it is corrupt or was not written by Tidemark — rebuild it with "tidemark verify --repair".`,
    );
  });

  it("handles a missing base and an empty source", async () => {
    const out: IndexChunk[] = [];
    const first = await planDeltaStreaming({ ...source([[K1, R1, 202501]]), mode: "append", duplicates: "error", base: null, onIndexChunk: (c) => void out.push(c) });
    expect(Array.from(first.ops)).toEqual([1]);
    expect(collect(out)).toEqual([[K1, R1, 202501]]);
    const none = await planDeltaStreaming({ ...source([]), mode: "upsert", duplicates: "error", base: [chunkOf(BASE)] });
    expect(none.counts.rowsTotal).toBe(3);
    expect(none.byMonth.size).toBe(0);
  });
});
