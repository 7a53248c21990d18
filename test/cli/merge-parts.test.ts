import { tableFromArrays } from "apache-arrow";
import { int64Column, tableFrom, timestampColumn, utf8Column } from "../../src/parquet/columns";
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

  it("orders keys as the engine sorts them: 64-bit integers by value, timestamps by microsecond, text by code point", () => {
    // Each part is sorted as DuckDB's ORDER BY sorts these keys; the merge must keep that order.
    const tsPart = (us: bigint[]) => tableFrom({ at: timestampColumn(BigInt64Array.from(us)) });
    const ts = tableObjects(mergeSortedParts([tsPart([1_704_067_200_000_000n, 1_704_067_200_000_600n]), tsPart([1_704_067_200_000_500n])], ["at"]));
    expect(ts.map((r) => r.at)).toEqual(["2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00.000500Z", "2024-01-01T00:00:00.000600Z"]);

    const intPart = (n: bigint[]) => tableFrom({ n: int64Column(BigInt64Array.from(n)) });
    const ints = tableObjects(mergeSortedParts([intPart([-9223372036854775808n, -5n]), intPart([-6n, 9007199254740993n])], ["n"]));
    expect(ints.map((r) => String(r.n))).toEqual(["-9223372036854775808", "-6", "-5", "9007199254740993"]);

    const textPart = (s: string[]) => tableFrom({ s: utf8Column(s) });
    const text = tableObjects(mergeSortedParts([textPart(["a", "\u{1F600}"]), textPart(["\uE000"])], ["s"]));
    expect(text.map((r) => r.s)).toEqual(["a", "\uE000", "\u{1F600}"]);
  });

  it("returns a single part as it is", () => {
    const a = part(["B", "A"], [1, 1], [1, 2]);
    expect(mergeSortedParts([a], ["series"])).toBe(a);
  });
});
