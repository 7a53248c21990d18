import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Validity,
  boolColumn,
  date32Column,
  decodeParquet,
  decodeParquetBatches,
  dictUtf8Column,
  encodeParquet,
  float64Column,
  int64Column,
  parquetMetadata,
  tableFrom,
  timestampColumn,
  utf8Column,
} from "../../src/parquet";
import { lit, openDuck, rows } from "../support/duck";
import { allTypesTable, readRow } from "./fixtures";

let conn: DuckDBConnection;
let close: () => void;
const dir = mkdtempSync(join(tmpdir(), "tidemark-duck-"));

beforeAll(async () => {
  ({ conn, close } = await openDuck());
});
afterAll(() => {
  close();
  rmSync(dir, { recursive: true, force: true });
});

function typesOf(table: { schema: { fields: { name: string; type: unknown }[] } }): Record<string, string> {
  return Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
}

describe("files written by the codec, read by DuckDB", () => {
  it("have the expected DuckDB types and every value, null, NaN and -0 intact", async () => {
    const { table, rows: expected } = allTypesTable(80);
    const path = join(dir, "all-types.parquet");
    writeFileSync(path, encodeParquet(table, { rowGroupSize: 32 }));

    const described = await rows(conn, `DESCRIBE SELECT * FROM read_parquet(${lit(path)})`);
    expect(Object.fromEntries(described.map((r) => [r.column_name, r.column_type]))).toEqual({
      id: "BIGINT",
      s: "VARCHAR",
      d: "VARCHAR",
      i: "BIGINT",
      f: "DOUBLE",
      dt: "DATE",
      ts: "TIMESTAMP WITH TIME ZONE",
      b: "BOOLEAN",
      h: "BLOB",
    });
    const got = await rows(conn, `SELECT * FROM read_parquet(${lit(path)}) ORDER BY id`);
    expect(got).toEqual(expected);
  });

  it("use ZSTD and carry min/max statistics on every column chunk", async () => {
    const n = 3000;
    const nulls = Validity.from(n, (i) => i % 10 === 3);
    const table = tableFrom({
      s: utf8Column(Array.from({ length: n }, (_, i) => (i % 10 === 3 ? null : `key-${String(i).padStart(5, "0")}`))),
      d: dictUtf8Column(Array.from({ length: n }, (_, i) => (i % 10 === 3 ? null : ["DE", "FR", "IT"][i % 3]))),
      i: int64Column(BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 1000n), nulls),
      f: float64Column(Float64Array.from({ length: n }, (_, i) => i / 4), nulls),
      dt: date32Column(Int32Array.from({ length: n }, (_, i) => 19000 + i), nulls),
      ts: timestampColumn(BigInt64Array.from({ length: n }, (_, i) => 1_700_000_000_000_000n + BigInt(i)), nulls),
      b: boolColumn(Array.from({ length: n }, (_, i) => i % 2 === 0), nulls),
    });
    const path = join(dir, "stats.parquet");
    writeFileSync(path, encodeParquet(table, { rowGroupSize: 1000 }));

    const meta = await rows(
      conn,
      `SELECT row_group_id, path_in_schema, compression, stats_min_value, stats_max_value, stats_null_count
       FROM parquet_metadata(${lit(path)}) ORDER BY row_group_id, column_id`,
    );
    expect(meta.length).toBe(3 * 7);
    for (const chunk of meta) {
      expect(chunk.compression).toBe("ZSTD");
      expect(chunk.stats_min_value).not.toBeNull();
      expect(chunk.stats_max_value).not.toBeNull();
      expect(chunk.stats_null_count).toBe(100n);
    }
    const byColumn = (name: string) => meta.filter((m) => m.path_in_schema === name).map((m) => [m.stats_min_value, m.stats_max_value]);
    expect(byColumn("i")).toEqual([
      ["0", "999000"],
      ["1000000", "1999000"],
      ["2000000", "2999000"],
    ]);
    expect(byColumn("s")[0]).toEqual(["key-00000", "key-00999"]);
    expect(byColumn("d")[2]).toEqual(["DE", "IT"]);
    expect(byColumn("b")[1]).toEqual(["false", "true"]);
    const encodings = await rows(conn, `SELECT DISTINCT path_in_schema AS col, encodings FROM parquet_metadata(${lit(path)}) WHERE row_group_id = 0`);
    const dictionaryEncoded = encodings.filter((e) => String(e.encodings).includes("RLE_DICTIONARY")).map((e) => e.col);
    expect(dictionaryEncoded.sort()).toEqual(["d", "dt", "i", "s", "ts"]);
    const legacy = await rows(conn, `SELECT count(*) AS n FROM parquet_metadata(${lit(path)}) WHERE stats_min IS NOT NULL AND stats_max IS NOT NULL`);
    expect(legacy[0].n).toBe(BigInt(3 * 4));
    expect(parquetMetadata(readFileSync(path)).compressions).toEqual(["ZSTD"]);
  });
});

describe("files written by DuckDB, read by the codec", () => {
  it("decode to the right Arrow types and exact values, nulls included", async () => {
    const path = join(dir, "duck-values.parquet");
    await conn.run(`COPY (SELECT * FROM (VALUES
        (0::BIGINT, 'a', 1::BIGINT, 1.5::DOUBLE, DATE '2024-01-31', TIMESTAMPTZ '2024-01-31 10:00:00.123456+00',
         TIMESTAMP '2024-01-31 10:00:00.5', true, '\\x00\\xFF'::BLOB, 7::INTEGER),
        (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (2, 'ü😀', -9223372036854775808, 'NaN'::DOUBLE, DATE '0001-01-01', TIMESTAMPTZ '1969-12-31 23:59:59.999999+00',
         TIMESTAMP '9999-12-31 23:59:59.999999', false, ''::BLOB, -1),
        (3, '', 9223372036854775807, '-0.0'::DOUBLE, DATE '9999-12-31', TIMESTAMPTZ '1970-01-01 00:00:00+00',
         TIMESTAMP '1970-01-01 00:00:00', NULL, NULL, 0)
      ) t(id, s, i, f, dt, tstz, ts, b, bin, i32)) TO ${lit(path)} (FORMAT parquet, COMPRESSION zstd)`);
    const table = decodeParquet(readFileSync(path));
    expect(typesOf(table)).toEqual({
      id: "Int64",
      s: "Utf8",
      i: "Int64",
      f: "Float64",
      dt: "Date32<DAY>",
      tstz: "Timestamp<MICROSECOND, UTC>",
      ts: "Timestamp<MICROSECOND>",
      b: "Bool",
      bin: "Binary",
      i32: "Int32",
    });
    expect([0, 1, 2, 3].map((i) => readRow(table, i))).toEqual([
      { id: 0n, s: "a", i: 1n, f: 1.5, dt: 19753, tstz: 1706695200123456n, ts: 1706695200500000n, b: true, bin: "00ff", i32: 7 },
      { id: 1n, s: null, i: null, f: null, dt: null, tstz: null, ts: null, b: null, bin: null, i32: null },
      { id: 2n, s: "ü😀", i: -(2n ** 63n), f: Number.NaN, dt: -719162, tstz: -1n, ts: 253402300799999999n, b: false, bin: "", i32: -1 },
      { id: 3n, s: "", i: 2n ** 63n - 1n, f: -0, dt: 2932896, tstz: 0n, ts: 0n, b: null, bin: null, i32: 0 },
    ]);
    expect(parquetMetadata(readFileSync(path))).toMatchObject({ numRows: 4, compressions: ["ZSTD"] });
  });

  it("match DuckDB's own reading row by row across row groups, whole and in batches", async () => {
    const path = join(dir, "duck-generated.parquet");
    await conn.run(`COPY (
        SELECT i AS id,
          CASE WHEN i % 5 = 1 THEN NULL ELSE 'k-' || (i % 37) || CASE WHEN i % 3 = 0 THEN '-ü😀' ELSE '' END END AS s,
          CASE WHEN i % 7 = 3 THEN NULL ELSE i * 1000003 - 2500000000 END AS n,
          CASE WHEN i % 4 = 1 THEN NULL WHEN i % 11 = 0 THEN 'NaN'::DOUBLE ELSE i / 8.0 - 100 END::DOUBLE AS f,
          CASE WHEN i % 8 = 5 THEN NULL ELSE DATE '1970-01-01' + (i * 17 - 30000)::INTEGER END AS dt,
          CASE WHEN i % 9 = 4 THEN NULL ELSE make_timestamp(i * 123456789 - 100000000000)::TIMESTAMPTZ END AS tstz,
          CASE WHEN i % 6 = 0 THEN NULL ELSE i % 4 = 0 END AS b
        FROM range(5000) r(i)
      ) TO ${lit(path)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000)`);
    const bytes = readFileSync(path);
    expect(parquetMetadata(bytes).numRowGroups).toBeGreaterThan(1);
    const expected = await rows(conn, `SELECT * FROM read_parquet(${lit(path)}) ORDER BY id`);
    expect(expected.length).toBe(5000);

    const table = decodeParquet(bytes);
    expect(typesOf(table)).toEqual({
      id: "Int64",
      s: "Utf8",
      n: "Int64",
      f: "Float64",
      dt: "Date32<DAY>",
      tstz: "Timestamp<MICROSECOND, UTC>",
      b: "Bool",
    });
    expect(Array.from({ length: table.numRows }, (_, i) => readRow(table, i))).toEqual(expected);

    const streamed: Record<string, unknown>[] = [];
    for await (const batch of decodeParquetBatches(bytes, { batchSize: 700, columns: ["tstz", "id"] })) {
      const t = tableFrom({ tstz: batch.getChild("tstz")!, id: batch.getChild("id")! });
      for (let i = 0; i < t.numRows; i++) streamed.push(readRow(t, i));
    }
    expect(streamed).toEqual(expected.map((r) => ({ tstz: r.tstz, id: r.id })));
  });
});
