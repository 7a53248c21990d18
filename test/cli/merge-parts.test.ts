import { tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { mergeSortedParts } from "../../src/cli/merge-parts";
import { tableObjects } from "../../src/cli/render";

const part = (series: string[], n: number[], value: number[]) => tableFromArrays({ series: series, n: Float64Array.from(n), value: Float64Array.from(value) });

describe("mergeSortedParts", () => {
  it("merges key-sorted parts into one key-sorted table, every row once", () => {
    const a = part(["A", "A", "C"], [1, 3, 1], [1, 2, 3]);
    const b = part(["A", "B", "B", "D"], [2, 1, 2, 1], [4, 5, 6, 7]);
    const merged = tableObjects(mergeSortedParts([a, b], ["series", "n"]));
    expect(merged.map((r) => `${r.series}${r.n}:${r.value}`)).toEqual(["A1:1", "A2:4", "A3:2", "B1:5", "B2:6", "C1:3", "D1:7"]);
  });

  it("returns a single part as it is", () => {
    const a = part(["B", "A"], [1, 1], [1, 2]);
    expect(mergeSortedParts([a], ["series"])).toBe(a);
  });
});
