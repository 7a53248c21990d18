import { Table } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { date32Column, float64Column, timestampColumn, utf8Column } from "../../src/parquet";
import { exactKeyColumns, lastRowPerKey } from "../../src/table/upsert";

describe("lastRowPerKey", () => {
  it("keeps the last row of each key, in key order", () => {
    const t = new Table({
      s: utf8Column(["a", "b", "d", "b", "c", "a"]),
      d: date32Column(Int32Array.from([1, 1, 1, 2, 1, 1])),
    });
    expect([...lastRowPerKey(t, ["s", "d"])]).toEqual([5, 1, 3, 4, 2]);
    expect([...lastRowPerKey(t, ["s"])]).toEqual([5, 3, 4, 2]);
  });

  it("returns every row of a table that is already sorted with unique keys", () => {
    const t = new Table({ s: utf8Column(["a", "b", "c"]) });
    expect([...lastRowPerKey(t, ["s"])]).toEqual([0, 1, 2]);
    expect([...lastRowPerKey(new Table({ s: utf8Column([]) }), ["s"])]).toEqual([]);
  });

  it("treats null keys as one key, first in order", () => {
    const t = new Table({ s: utf8Column(["x", null, "é", null, "e"]) });
    expect([...lastRowPerKey(t, ["s"])]).toEqual([3, 4, 0, 2]);
  });
});

describe("exactKeyColumns", () => {
  it("accepts strings, integers, dates and timestamps, not floats or missing columns", () => {
    const t = new Table({ s: utf8Column(["a"]), d: date32Column(Int32Array.from([1])), ts: timestampColumn(BigInt64Array.from([1n])), f: float64Column([1]) });
    expect(exactKeyColumns(t, ["s", "d", "ts"])).toBe(true);
    expect(exactKeyColumns(t, ["s", "f"])).toBe(false);
    expect(exactKeyColumns(t, ["nope"])).toBe(false);
  });
});
