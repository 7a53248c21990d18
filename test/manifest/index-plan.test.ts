import { describe, expect, it } from "vitest";
import { indexLayers, IndexLayerOrderError, MAX_DELTA_LAYERS, nextIndexEntries, planIndexWrite, type IndexWriteInput } from "../../src/manifest/index-plan";

const input = (over: Partial<IndexWriteInput>): IndexWriteInput => ({ mode: "upsert", layered: true, baseRows: 1000, deltaRows: [], changed: 10, deleted: 0, ...over });

describe("planIndexWrite", () => {
  it("writes a complete index for a first version, a base from projections, a snapshot and deletes", () => {
    expect(planIndexWrite(input({ layered: false, baseRows: 0 }))).toEqual({ kind: "full" });
    expect(planIndexWrite(input({ mode: "snapshot" }))).toEqual({ kind: "full" });
    expect(planIndexWrite(input({ deleted: 1 }))).toEqual({ kind: "full" });
  });

  it("carries the parent's index when no key changed", () => {
    expect(planIndexWrite(input({ changed: 0, deltaRows: [5] }))).toEqual({ kind: "carry" });
    expect(planIndexWrite(input({ changed: 0, layered: false }))).toEqual({ kind: "full" });
  });

  it("adds a layer, absorbing the newest layers not more than twice its size", () => {
    expect(planIndexWrite(input({ changed: 10 }))).toEqual({ kind: "delta", merge: 0 });
    expect(planIndexWrite(input({ changed: 10, deltaRows: [100, 21] }))).toEqual({ kind: "delta", merge: 0 });
    expect(planIndexWrite(input({ changed: 10, deltaRows: [100, 20] }))).toEqual({ kind: "delta", merge: 1 });
    expect(planIndexWrite(input({ changed: 10, deltaRows: [60, 20] }))).toEqual({ kind: "delta", merge: 2 });
  });

  it("merges every layer past the most layers, and rewrites the index once the layers pass half the base", () => {
    const many = Array.from({ length: MAX_DELTA_LAYERS }, (_, i) => 2 ** (MAX_DELTA_LAYERS - i) * 3);
    expect(planIndexWrite(input({ changed: 1, deltaRows: many, baseRows: 10_000 }))).toEqual({ kind: "delta", merge: MAX_DELTA_LAYERS });
    expect(planIndexWrite(input({ changed: 100, deltaRows: [400], baseRows: 1000 }))).toEqual({ kind: "delta", merge: 0 });
    expect(planIndexWrite(input({ changed: 101, deltaRows: [400], baseRows: 1000 }))).toEqual({ kind: "full" });
  });
});

describe("indexLayers and nextIndexEntries", () => {
  const base = { path: "index/v1/keys.parquet", rows: 100 };
  const d2 = { path: "index/v2/delta.parquet", rows: 5, layer: "delta" as const };
  const d3 = { path: "index/v3/delta.parquet", rows: 3, layer: "delta" as const };

  it("splits base files from layers and refuses a base file after a layer", () => {
    expect(indexLayers([base, d2, d3])).toEqual({ base: [base], deltas: [d2, d3] });
    expect(() => indexLayers([d2, base])).toThrow(IndexLayerOrderError);
  });

  it("keeps the parent's entries a layer does not absorb, and replaces everything with a complete index", () => {
    const mine = { path: "index/v4/delta.parquet", rows: 9 };
    expect(nextIndexEntries([base, d2, d3], { kind: "delta", merge: 1 }, mine)).toEqual([base, d2, { ...mine, layer: "delta" }]);
    expect(nextIndexEntries([base, d2, d3], { kind: "delta", merge: 0 }, mine)).toEqual([base, d2, d3, { ...mine, layer: "delta" }]);
    expect(nextIndexEntries([base, d2], { kind: "full" }, { path: "index/v4/keys.parquet", rows: 105 })).toEqual([{ path: "index/v4/keys.parquet", rows: 105 }]);
    expect(nextIndexEntries([base, d2], { kind: "carry" }, null)).toEqual([base, d2]);
  });
});
