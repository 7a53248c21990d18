import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/connection";
import type { DatasetDefinition } from "../../src/definition";
import { eventRowsSql, HASHING, HASHING_V2, hashesAlike, hashSql, monthSql, partitionRangeSql, schemeOfIndex } from "../../src/engine/hash-sql";
import { tmpdir } from "node:os";
import { join } from "node:path";

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.open({ memoryLimit: "128MB", threads: 1, tempDirectory: join(tmpdir(), "tidemark-hash-test") });
});
afterAll(() => engine?.close());

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

/** docs/hashing.md, recomputed here from the text of the document, not from the product's code. */
describe("hashSql (tidemark.hash/3)", () => {
  it("is MD5 of the '|'-joined canonical fields of each type", async () => {
    const columns = [
      { name: "s", type: "string" as const }, { name: "i", type: "int" as const }, { name: "f", type: "double" as const }, { name: "b", type: "bool" as const },
      { name: "d", type: "date" as const }, { name: "t", type: "timestamp" as const }, { name: "n", type: "string" as const }, { name: "z", type: "double" as const },
    ];
    const [row] = await engine.rows<{ h: string }>(
      `SELECT hex(${hashSql(columns)}) AS h FROM (SELECT 'añb|' AS s, -42::BIGINT AS i, 1.5::DOUBLE AS f, true AS b, DATE '2025-01-01' AS d, TIMESTAMPTZ '2025-01-01 00:00:01+00' AS t, NULL::VARCHAR AS n, -0.0::DOUBLE AS z)`,
    );
    const text = ["S5:añb|", "I-42", "F1.5", "B1", "D20089", "T1735689601000000", "N", "F0"].join("|");
    expect(row.h.toLowerCase()).toBe(md5(text));
  });

  it("gives the worked example of docs/hashing.md", async () => {
    const columns = [{ name: "series_id", type: "string" as const }, { name: "obs_date", type: "date" as const }];
    const [row] = await engine.rows<{ h: string }>(`SELECT lower(hex(${hashSql(columns)})) AS h FROM (SELECT 'A' AS series_id, DATE '2025-01-01' AS obs_date)`);
    expect(row.h).toBe("8fe4428bd0c60a68de1414c90dfc934d");
  });

  it("encodes a null bool as N, unlike false; under tidemark.hash/2 (legacy) a null bool was B0", async () => {
    const columns = [{ name: "b", type: "bool" as const }, { name: "c", type: "bool" as const }];
    const sql = (scheme: typeof HASHING | typeof HASHING_V2) => `SELECT lower(hex(${hashSql(columns, "", scheme)})) AS h FROM (SELECT NULL::BOOLEAN AS b, false AS c)`;
    const [now] = await engine.rows<{ h: string }>(sql(HASHING));
    const [legacy] = await engine.rows<{ h: string }>(sql(HASHING_V2));
    expect(now.h).toBe(md5("N|B0"));
    expect(legacy.h).toBe(md5("B0|B0"));
  });

  it("encodes every NaN as Fnan, also one with the sign bit (DuckDB's -nan), which tidemark.hash/2 kept as F-nan", async () => {
    const columns = [{ name: "a", type: "double" as const }, { name: "b", type: "decimal" as const, decimal: "double" as const }];
    const sql = (scheme: typeof HASHING | typeof HASHING_V2) => `SELECT lower(hex(${hashSql(columns, "", scheme)})) AS h FROM (SELECT -('nan'::DOUBLE) AS a, 'nan'::DOUBLE AS b)`;
    const [now] = await engine.rows<{ h: string }>(sql(HASHING));
    const [legacy] = await engine.rows<{ h: string }>(sql(HASHING_V2));
    expect(now.h).toBe(md5("Fnan|Fnan"));
    expect(legacy.h).toBe(md5("F-nan|Fnan"));
  });

  it("hashes no columns as MD5 of the empty input", async () => {
    const [row] = await engine.rows<{ h: string }>(`SELECT hex(${hashSql([])}) AS h`);
    expect(row.h.toLowerCase()).toBe(md5(""));
  });
});

describe("hashesAlike and schemeOfIndex", () => {
  const withTypes = (...types: string[]) => ({ schema: { columns: types.map((type, i) => ({ name: `c${i}`, type })) } }) as unknown as DatasetDefinition;

  it("takes a hash/2 index as the engine's own only for a dataset without bool columns", () => {
    expect(hashesAlike("tidemark.hash/3", withTypes("string", "bool"))).toBe(true);
    expect(hashesAlike("tidemark.hash/2", withTypes("string", "int", "date"))).toBe(true);
    expect(hashesAlike("tidemark.hash/2", withTypes("string", "bool"))).toBe(false);
    expect(hashesAlike(undefined, withTypes("string"))).toBe(false);
  });

  it("checks an index under hash/2 when any of its files was written under it", () => {
    expect(schemeOfIndex([{ hashing: "tidemark.hash/3" }, { hashing: "tidemark.hash/3" }])).toBe("tidemark.hash/3");
    expect(schemeOfIndex([{ hashing: "tidemark.hash/2" }, { hashing: "tidemark.hash/3" }])).toBe("tidemark.hash/2");
    expect(schemeOfIndex([])).toBe("tidemark.hash/3");
  });
});

/** SPEC §2: the partition number of a row by granularity; timestamps partition by their UTC date. */
describe("eventRowsSql", () => {
  const definition = { schema: { columns: [{ name: "k", type: "string" }, { name: "v", type: "int" }], key: ["k"] } } as unknown as DatasetDefinition;

  it("gives the event file's columns in the sort's order, the version added after the sort", async () => {
    const rows = `(VALUES ('b', 2, 'insert', 'h2'::BLOB, 1, 0), ('a', 1, 'update', 'h1'::BLOB, 0, 1), ('c', 3, 'insert', 'h3'::BLOB, 0, 0)) t(k, v, _op, _key_hash, _month, _row)`;
    const sql = eventRowsSql(definition, "20261203T000000000Z-0badcafe", rows, "_month, _row");
    expect(sql.indexOf("AS _version")).toBeLessThan(sql.indexOf("ORDER BY"));
    expect(sql.startsWith("SELECT *, '20261203T000000000Z-0badcafe' AS _version FROM (")).toBe(true);
    const got = await engine.rows<Record<string, unknown>>(sql);
    expect(got.map((r) => Object.keys(r))).toEqual(Array(3).fill(["k", "v", "_op", "_key_hash", "_version"]));
    expect(got.map((r) => [r.k, r._op, r._version])).toEqual([
      ["c", "insert", "20261203T000000000Z-0badcafe"],
      ["a", "update", "20261203T000000000Z-0badcafe"],
      ["b", "insert", "20261203T000000000Z-0badcafe"],
    ]);
  });
});

describe("monthSql", () => {
  const definitionOf = (column: string, partition_by: DatasetDefinition["schema"]["partition_by"]) =>
    ({ schema: { columns: [{ name: column, type: "timestamp" }], key: [column], partition_by } }) as unknown as DatasetDefinition;
  const values = ["TIMESTAMP '2024-12-31 23:59:59.999'", "TIMESTAMP '2025-01-01 00:00:00'", "TIMESTAMP '2025-02-01 12:00:00'", "DATE '2024-02-29'::TIMESTAMP", "NULL::TIMESTAMP"];
  const partitions = async (partition_by: DatasetDefinition["schema"]["partition_by"]) => {
    const rows = await engine.rows<{ p: number | null }>(`SELECT ${monthSql(definitionOf("at", partition_by), "t.")} AS p FROM (VALUES ${values.map((v) => `(${v})`).join(", ")}) t("at")`);
    return rows.map((r) => (r.p === null ? null : Number(r.p)));
  };

  it("is yyyymm for a column name (month, the default) and for granularity month", async () => {
    expect(await partitions("at")).toEqual([202412, 202501, 202502, 202402, null]);
    expect(await partitions({ column: "at", granularity: "month" })).toEqual([202412, 202501, 202502, 202402, null]);
  });

  it("is yyyy by year and yyyymmdd by day", async () => {
    expect(await partitions({ column: "at", granularity: "year" })).toEqual([2024, 2025, 2025, 2024, null]);
    expect(await partitions({ column: "at", granularity: "day" })).toEqual([20241231, 20250101, 20250201, 20240229, null]);
  });

  it("partitions a TIMESTAMPTZ by its UTC date", async () => {
    const def = definitionOf("at", { column: "at", granularity: "day" });
    const [row] = await engine.rows<{ p: number }>(`SELECT ${monthSql(def)} AS p FROM (SELECT TIMESTAMPTZ '2024-12-31 23:30:00-02:00' AS "at")`);
    expect(Number(row.p)).toBe(20250101);
  });

  it("works on date columns", async () => {
    const def = { schema: { columns: [{ name: "d", type: "date" }], key: ["d"], partition_by: { column: "d", granularity: "day" } } } as unknown as DatasetDefinition;
    const [row] = await engine.rows<{ p: number }>(`SELECT ${monthSql(def)} AS p FROM (SELECT DATE '2025-03-09' AS d)`);
    expect(Number(row.p)).toBe(20250309);
  });
});

/** The partition range a reader prunes row groups with: the days of partitions lowest..highest, nothing either side. */
describe("partitionRangeSql", () => {
  const inRange = async (type: "date" | "timestamp", granularity: "year" | "month" | "day", lowest: number, highest: number, values: string[]) => {
    const def = { schema: { columns: [{ name: "at", type }], key: ["at"], partition_by: { column: "at", granularity } } } as unknown as DatasetDefinition;
    const rows = await engine.rows<{ hit: boolean }>(`SELECT ${partitionRangeSql(def, lowest, highest, "t.")} AS hit FROM (VALUES ${values.map((v) => `(${v})`).join(", ")}) t("at")`);
    return rows.map((r) => r.hit);
  };
  const tz = (text: string) => `TIMESTAMPTZ '${text}'`;

  it("covers whole months, the last one up to its last microsecond, across a year's end", async () => {
    expect(await inRange("timestamp", "month", 202411, 202412, [tz("2024-10-31 23:59:59.999999+00"), tz("2024-11-01 00:00:00+00"), tz("2024-12-31 23:59:59.999999+00"), tz("2025-01-01 00:00:00+00")])).toEqual([false, true, true, false]);
    expect(await inRange("date", "month", 202402, 202402, ["DATE '2024-01-31'", "DATE '2024-02-01'", "DATE '2024-02-29'", "DATE '2024-03-01'"])).toEqual([false, true, true, false]);
  });

  it("covers whole days (a leap day, a year's last day) and whole years", async () => {
    expect(await inRange("date", "day", 20240228, 20240229, ["DATE '2024-02-27'", "DATE '2024-02-28'", "DATE '2024-02-29'", "DATE '2024-03-01'"])).toEqual([false, true, true, false]);
    expect(await inRange("timestamp", "day", 20241231, 20241231, [tz("2024-12-30 23:59:59+00"), tz("2024-12-31 00:00:00+00"), tz("2024-12-31 23:59:59+00"), tz("2025-01-01 00:00:00+00")])).toEqual([false, true, true, false]);
    expect(await inRange("date", "year", 2024, 2024, ["DATE '2023-12-31'", "DATE '2024-01-01'", "DATE '2024-12-31'", "DATE '2025-01-01'"])).toEqual([false, true, true, false]);
  });

  it("bounds a timestamp by its UTC date, as monthSql partitions it", async () => {
    expect(await inRange("timestamp", "year", 2024, 2024, [tz("2024-12-31 23:30:00-02:00"), tz("2024-01-01 01:00:00+02:00")])).toEqual([false, false]);
  });
});
