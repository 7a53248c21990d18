import { Table } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { date32Column, float64Column, timestampColumn, utf8Column } from "../../src/parquet";
import { monthsOf } from "../../src/table/months";
import { sortPermutation } from "../../src/table/sort";

const day = (iso: string) => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / 86400000;

describe("months", () => {
  it("maps dates to yyyymm, including leap days and dates before 1970", () => {
    const dates = ["1970-01-01", "2024-02-29", "2024-03-01", "1969-12-31", "1900-03-01"];
    const t = new Table({ d: date32Column(Int32Array.from(dates.map(day))) });
    expect([...monthsOf(t, "d")]).toEqual([197001, 202402, 202403, 196912, 190003]);
  });

  it("reads date and timestamp partition columns", () => {
    const t = new Table({
      d: date32Column(Int32Array.from([day("2025-01-31"), day("1999-12-01")])),
      ts: timestampColumn(BigInt64Array.from([BigInt(Date.UTC(2025, 4, 31, 23, 59)) * 1000n, -1n])),
    });
    expect([...monthsOf(t, "d")]).toEqual([202501, 199912]);
    expect([...monthsOf(t, "ts")]).toEqual([202505, 196912]);
    expect(() => monthsOf(new Table({ x: float64Column([1]) }), "x")).toThrow(/date or timestamp/);
  });
});

describe("sortPermutation", () => {
  it("orders by several key columns, nulls first, stable", () => {
    const t = new Table({
      s: utf8Column(["b", "a", "b", null, "a"]),
      d: date32Column(Int32Array.from([2, 5, 1, 9, 5])),
    });
    expect([...sortPermutation(t, ["s", "d"])]).toEqual([3, 1, 4, 2, 0]);
  });
});

describe("sortPermutation on Arrow buffers", () => {
  it("compares ASCII strings bytewise, shorter prefixes first, across chunks and slices", () => {
    const s = utf8Column(["ab", "a", "b", null]).concat(utf8Column(["", "aa", null, "abc"]));
    const t = new Table({ s });
    expect([...sortPermutation(t, ["s"])]).toEqual([3, 6, 4, 1, 5, 0, 7, 2]);
    const sliced = new Table({ s: utf8Column(["z", "y", "x", "w"]).slice(1, 4) });
    expect([...sortPermutation(sliced, ["s"])]).toEqual([2, 1, 0]);
  });

  it("orders non-ASCII strings, timestamps and nulls like JS values", () => {
    const t = new Table({
      s: utf8Column(["é", "e", "z", "é"]),
      ts: timestampColumn(BigInt64Array.from([5n, -1n, 3n, -2n])),
    });
    expect([...sortPermutation(t, ["s", "ts"])]).toEqual([1, 2, 3, 0]);
    expect([...sortPermutation(t, ["ts"])]).toEqual([3, 1, 2, 0]);
  });

  it("returns the identity for rows already in order", () => {
    const t = new Table({ s: utf8Column(["a", "b", "c"]), d: date32Column(Int32Array.from([3, 2, 1])) });
    expect([...sortPermutation(t, ["s", "d"])]).toEqual([0, 1, 2]);
  });
});
