import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RecordBatch } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import {
  ParquetCodecError,
  ParquetFormatError,
  decodeParquet,
  decodeParquetBatches,
  dictUtf8Column,
  encodeParquet,
  float64Column,
  int64Column,
  parquetMetadata,
  parquetSchema,
  tableFrom,
  utf8Column,
} from "../../src/parquet";
import { ALL_TYPES_SCHEMA, allTypesTable, readRow } from "./fixtures";

const dir = mkdtempSync(join(tmpdir(), "tidemark-parquet-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function typesOf(table: { schema: { fields: { name: string; type: unknown }[] } }): Record<string, string> {
  return Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
}

function sequenceTable(n: number) {
  const ids = BigInt64Array.from({ length: n }, (_, i) => BigInt(i));
  const groups = Array.from({ length: n }, (_, i) => (i < n / 2 ? "a" : "b") + (i % 13));
  return tableFrom({ id: int64Column(ids), g: dictUtf8Column(groups), x: float64Column(Float64Array.from(ids, (v) => Number(v) / 4)) });
}

async function collect(batches: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

function ids(batches: RecordBatch[]): number[] {
  return batches.flatMap((b) => Array.from(b.getChild("id")!.toArray() as BigInt64Array, Number));
}

describe("encodeParquet / decodeParquet", () => {
  it("round-trips every column type with nulls, NaN, -0 and exact 64-bit values", () => {
    const { table, rows } = allTypesTable(60);
    const back = decodeParquet(encodeParquet(table));
    expect(typesOf(back)).toEqual(ALL_TYPES_SCHEMA);
    expect(back.numRows).toBe(rows.length);
    rows.forEach((row, i) => expect(readRow(back, i)).toEqual(row));
  });

  it("keeps every type with snappy, no compression and without dictionaries", () => {
    const { table, rows } = allTypesTable(20);
    for (const opts of [{ compression: "snappy" as const }, { compression: "none" as const }, { dictionary: false }, { dictionary: true }]) {
      const bytes = encodeParquet(table, opts);
      const back = decodeParquet(bytes);
      expect(typesOf(back)).toEqual(ALL_TYPES_SCHEMA);
      rows.forEach((row, i) => expect(readRow(back, i)).toEqual(row));
      expect(parquetMetadata(bytes).compressions).toEqual([opts.compression === "snappy" ? "SNAPPY" : opts.compression === "none" ? "UNCOMPRESSED" : "ZSTD"]);
    }
  });

  it("round-trips an empty table with its schema", () => {
    const table = tableFrom({ s: utf8Column([]), i: int64Column([]) });
    const bytes = encodeParquet(table);
    const back = decodeParquet(bytes);
    expect(back.numRows).toBe(0);
    expect(typesOf(back)).toEqual({ s: "Utf8", i: "Int64" });
    expect(parquetMetadata(bytes)).toMatchObject({ numRows: 0, numRowGroups: 0 });
  });

  it("projects the requested columns in the requested order", () => {
    const { table, rows } = allTypesTable(30);
    const back = decodeParquet(encodeParquet(table), { columns: ["ts", "s", "id"] });
    expect(back.schema.fields.map((f) => f.name)).toEqual(["ts", "s", "id"]);
    rows.forEach((row, i) => expect(readRow(back, i)).toEqual({ ts: row.ts, s: row.s, id: row.id }));
  });

  it("rejects unknown columns, non-Parquet bytes and bad options with clear errors", () => {
    const bytes = encodeParquet(allTypesTable(5).table);
    expect(() => decodeParquet(bytes, { columns: ["s", "nope"] })).toThrow(ParquetCodecError);
    expect(() => decodeParquet(bytes, { columns: ["nope"] })).toThrow(/no column "nope"/);
    expect(() => decodeParquet(new TextEncoder().encode("definitely not parquet"))).toThrow(ParquetFormatError);
    expect(() => decodeParquet(bytes.subarray(0, bytes.length - 20))).toThrow(ParquetFormatError);
    expect(() => encodeParquet(allTypesTable(5).table, { rowGroupSize: 0 })).toThrow(RangeError);
  });

  it("writes row groups of rowGroupSize rows with statistics on every chunk", () => {
    const bytes = encodeParquet(sequenceTable(10_000), { rowGroupSize: 1000 });
    const meta = parquetMetadata(bytes);
    expect(meta.numRows).toBe(10_000);
    expect(meta.numRowGroups).toBe(10);
    expect(meta.rowGroups.map((rg) => rg.numRows)).toEqual(Array(10).fill(1000));
    expect(meta.columns).toEqual([
      { name: "id", type: "Int64" },
      { name: "g", type: "Dictionary<Int32, Utf8>" },
      { name: "x", type: "Float64" },
    ]);
    expect(meta.compressions).toEqual(["ZSTD"]);
    expect(meta.keyValueMetadata.has("ARROW:schema")).toBe(true);
    for (const rg of meta.rowGroups) {
      expect(rg.columns.map((c) => c.path)).toEqual(["id", "g", "x"]);
      for (const c of rg.columns) expect(c).toMatchObject({ codec: "ZSTD", hasMinMax: true, nullCount: 0, numValues: 1000 });
    }
    expect(String(parquetSchema(bytes).fields[1].type)).toBe("Dictionary<Int32, Utf8>");
  });

  it("decodes row groups in slices without changing the result", () => {
    const table = sequenceTable(10_000);
    const bytes = encodeParquet(table, { rowGroupSize: 1000 });
    const whole = decodeParquet(bytes);
    const sliced = decodeParquet(bytes, { sliceBytes: 1 });
    expect(sliced.batches.length).toBe(10);
    expect(sliced.numRows).toBe(10_000);
    for (const i of [0, 999, 1000, 4999, 5000, 9999]) expect(sliced.get(i)?.toJSON()).toEqual(whole.get(i)?.toJSON());
    expect(sliced.getChild("g")!.toArray()).toEqual(table.getChild("g")!.toArray());
  });

  it("re-encodes a decoded table whose batches carry different dictionaries", () => {
    const table = sequenceTable(10_000);
    const decoded = decodeParquet(encodeParquet(table, { rowGroupSize: 1000 }), { sliceBytes: 1 });
    const again = decodeParquet(encodeParquet(decoded, { rowGroupSize: 3000 }));
    expect(parquetMetadata(encodeParquet(decoded, { rowGroupSize: 3000 })).numRowGroups).toBe(4);
    expect(again.getChild("g")!.toArray()).toEqual(table.getChild("g")!.toArray());
    expect(Array.from(again.getChild("id")!.toArray() as BigInt64Array)).toEqual(Array.from(table.getChild("id")!.toArray() as BigInt64Array));
  });
});

describe("decodeParquetBatches", () => {
  const bytes = encodeParquet(sequenceTable(10_000), { rowGroupSize: 1000 });

  it("returns every row in order across row groups, never spanning one", async () => {
    const batches = await collect(decodeParquetBatches(bytes, { batchSize: 300 }));
    expect(ids(batches)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(Math.max(...batches.map((b) => b.numRows))).toBeLessThanOrEqual(300);
    let start = 0;
    for (const b of batches) {
      expect(Math.floor(start / 1000)).toBe(Math.floor((start + b.numRows - 1) / 1000));
      start += b.numRows;
    }
    expect(String(batches[0].schema.fields[1].type)).toBe("Dictionary<Int32, Utf8>");
  });

  it("reads only requested columns and row groups", async () => {
    const batches = await collect(decodeParquetBatches(bytes, { columns: ["x", "id"], rowGroups: [3, 7] }));
    expect(batches.every((b) => b.schema.fields.map((f) => f.name).join() === "x,id")).toBe(true);
    expect(ids(batches)).toEqual([...Array.from({ length: 1000 }, (_, i) => 3000 + i), ...Array.from({ length: 1000 }, (_, i) => 7000 + i)]);
    expect(batches[0].getChild("x")!.get(1)).toBe(3001 / 4);
  });

  it("reads a disk-backed Blob", async () => {
    const path = join(dir, "seq.parquet");
    writeFileSync(path, bytes);
    const batches = await collect(decodeParquetBatches(await openAsBlob(path), { columns: ["id"] }));
    expect(ids(batches).length).toBe(10_000);
  });

  it("stops cleanly when the consumer breaks early", async () => {
    let seen = 0;
    for await (const b of decodeParquetBatches(bytes, { batchSize: 500 })) {
      seen += b.numRows;
      if (seen >= 1000) break;
    }
    expect(seen).toBe(1000);
    expect(ids(await collect(decodeParquetBatches(bytes))).length).toBe(10_000);
  });

  it("rejects unknown columns and row groups before reading", async () => {
    await expect(collect(decodeParquetBatches(bytes, { columns: ["nope"] }))).rejects.toThrow(ParquetCodecError);
    await expect(collect(decodeParquetBatches(bytes, { rowGroups: [10] }))).rejects.toThrow(/10 row groups/);
    await expect(collect(decodeParquetBatches(new Uint8Array(16)))).rejects.toThrow(ParquetCodecError);
  });
});
