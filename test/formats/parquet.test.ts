import { describe, expect, it } from "vitest";
import { SourceFormatError, readParquet } from "../../src/formats";
import { LimitExceededError } from "../../src/errors";
import { date32Column, float64Column, int64Column, tableFrom, utf8Column } from "../../src/parquet/columns";
import { encodeParquet } from "../../src/parquet/codec";
import { chunked } from "./helpers";

function parquetBytes(): Uint8Array {
  return encodeParquet(
    tableFrom({
      series_id: utf8Column(["A", "B", null]),
      obs_date: date32Column(Int32Array.from([20089, 20117, 20148])),
      value: float64Column(Float64Array.from([1.5, 2, 3])),
      count: int64Column(BigInt64Array.from([1n, 9007199254740993n, -1n])),
    }),
  );
}

describe("readParquet", () => {
  it("refuses a file whose footer says it decompresses to more than TIDEMARK_MAX_DECOMPRESSED_BYTES, before decoding", async () => {
    const read = async (max: number) => {
      const out = [];
      for await (const b of readParquet(chunked(parquetBytes(), 1000), "s.parquet", undefined, max)) out.push(b.length);
      return out;
    };
    const err = await read(10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LimitExceededError);
    expect((err as Error).message).toMatch(/^s\.parquet decompresses to [\d,]+ bytes \(at most 10\), over the limit set by TIDEMARK_MAX_DECOMPRESSED_BYTES; /);
    expect(await read(1_000_000)).toEqual([3]);
  });

  it("reads only the requested columns as native values", async () => {
    const seen: unknown[][] = [];
    let names: readonly string[] = [];
    for await (const b of readParquet(chunked(parquetBytes(), 1000), "s.parquet", ["series_id", "obs_date", "count"])) {
      names = b.names;
      for (let i = 0; i < b.length; i++) seen.push([b.rows[i], ...["series_id", "obs_date", "count", "value"].map((n) => b.column(b.names.indexOf(n)).value(i))]);
    }
    expect(names).toEqual(["series_id", "obs_date", "value", "count"]);
    expect(seen).toEqual([
      [1, "A", new Date(Date.UTC(2025, 0, 1)), 1n, null],
      [2, "B", new Date(Date.UTC(2025, 0, 29)), 9007199254740993n, null],
      [3, null, new Date(Date.UTC(2025, 2, 1)), -1n, null],
    ]);
  });

  it("rejects bytes that are not Parquet and empty files", async () => {
    const err = await readParquet(chunked("a,b\n1,2\n"), "s.parquet").next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceFormatError);
    expect((err as Error).message).toBe("s.parquet is not a Parquet file (the PAR1 magic bytes are missing); check source.format, or re-export the file as Parquet.");
    await expect(readParquet(chunked(""), "s.parquet").next()).rejects.toThrow("s.parquet is empty (0 bytes)");
  });
});
