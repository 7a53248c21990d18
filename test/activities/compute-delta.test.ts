import { Table } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { describeKeyOf } from "../../activities/compute-delta";
import { date32Column, timestampColumn, utf8Column } from "../../src/parquet";

describe("describeKeyOf", () => {
  it("renders dates and timestamps of a key readably", () => {
    const t = new Table({
      id: utf8Column(["A"]),
      d: date32Column(Int32Array.from([Date.UTC(2021, 0, 31) / 86400000])),
      ts: timestampColumn(BigInt64Array.from([BigInt(Date.UTC(2021, 0, 31, 12, 30)) * 1000n])),
    });
    expect(describeKeyOf(t, ["id", "d", "ts"])(0)).toBe("id=A, d=2021-01-31, ts=2021-01-31T12:30:00.000Z");
  });
});
