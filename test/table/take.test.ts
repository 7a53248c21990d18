import { Table } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { boolColumn, date32Column, dictUtf8Column, fixedBinaryColumn, float64Column, int64Column, utf8Column, Validity } from "../../src/parquet";
import { compactTable, takeRows, whereRows } from "../../src/table/take";

function sample(): Table {
  const nulls = Validity.from(4, (i) => i === 2);
  return new Table({
    s: utf8Column(["a", "ñandú", null, "dd"]),
    d: dictUtf8Column(["x", "y", "x", null]),
    i: int64Column([1, 2, 3, 4], nulls),
    f: float64Column([0.5, NaN, 2, -1], nulls),
    day: date32Column(Int32Array.from([0, 1, 2, 3])),
    b: boolColumn([true, false, true, false], nulls),
    h: fixedBinaryColumn(Uint8Array.from({ length: 8 }, (_, k) => k), 2),
  });
}

describe("takeRows", () => {
  it("copies the chosen rows of every type, in the given order, nulls included", () => {
    const out = takeRows(sample(), Int32Array.from([3, 2, 0]));
    expect(out.getChild("s")!.toArray()).toEqual(["dd", null, "a"]);
    expect([...out.getChild("d")!]).toEqual([null, "x", "x"]);
    expect([...out.getChild("i")!]).toEqual([4n, null, 1n]);
    expect([...out.getChild("f")!]).toEqual([-1, null, 0.5]);
    expect([...out.getChild("day")!].map((v) => Number(v))).toEqual([3 * 86400000, 2 * 86400000, 0]);
    expect([...out.getChild("b")!]).toEqual([false, null, true]);
    expect([...out.getChild("h")!].map((v) => [...(v as Uint8Array)])).toEqual([[6, 7], [4, 5], [0, 1]]);
  });

  it("works across chunks and with no rows", () => {
    const t = sample().concat(sample());
    expect(takeRows(t, Int32Array.from([5, 0])).getChild("s")!.toArray()).toEqual(["ñandú", "a"]);
    expect(takeRows(t, new Int32Array(0)).numRows).toBe(0);
  });

  it("whereRows lists the indices a predicate keeps", () => {
    expect([...whereRows(6, (i) => i % 2 === 1)]).toEqual([1, 3, 5]);
  });
});

describe("compactTable and contiguous takes", () => {
  it("merges chunks into one per column with the same values, and slices contiguous row ranges", () => {
    const t = sample().concat(sample().slice(1, 4));
    const compact = compactTable(t);
    for (const f of t.schema.fields) {
      expect(compact.getChild(f.name)!.data).toHaveLength(1);
      expect([...compact.getChild(f.name)!].map(String)).toEqual([...t.getChild(f.name)!].map(String));
    }
    const range = takeRows(compact, Int32Array.from([2, 3, 4]));
    expect([...range.getChild("s")!]).toEqual([null, "dd", "ñandú"]);
    expect([...range.getChild("f")!]).toEqual([null, -1, NaN]);
  });
});
