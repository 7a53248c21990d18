import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDefinition } from "../../../src/definition";
import type { Engine } from "../../../src/engine/connection";
import { fragmentsCopySql, normalizeFragments } from "../../../src/engine/normalize";
import { NdjsonValidator } from "../../../src/intake/ndjson-validator";
import { validateRecords } from "../../../src/intake/records";
import { normalizeSource } from "../../../src/normalize";
import { encodeParquet } from "../../../src/parquet/codec";
import { readBack, testEngine } from "./helpers";

let engine: Engine;
beforeAll(async () => {
  engine = await testEngine();
});
afterAll(() => engine.close());

const DEF = parseDefinition(
  `id: pushed
source: { push: {} }
schema:
  columns:
    - { name: id, type: string }
    - { name: at, type: timestamp }
    - { name: day, type: date }
    - { name: n, type: int }
    - { name: v, type: double }
    - { name: price, type: decimal }
    - { name: approx, type: decimal, decimal: double }
    - { name: ok, type: bool }
  key: [id]
  partition_by: at
`,
  "pushed.yaml",
);

const RECORDS = [
  { id: "plain", at: "2026-11-29T10:00:00Z", day: "2026-11-29", n: 1, v: 0.1, price: "1.50", approx: "2.5", ok: true },
  { id: "big ints and edge doubles", at: "2026-11-29T10:00:00.123456Z", day: "1970-01-01", n: "9223372036854775807", v: 1e300, price: "-0.000001", approx: -0.0, ok: "false" },
  { id: "nulls", at: "2026-01-01T00:00:00+05:30", day: null, n: null, v: null, price: null, approx: null, ok: null },
  { id: "text: \"quotes\", \\ back\u00f1, \u{1f600} and \n a line break", at: "1999-12-31T23:59:59.999999Z", day: "2000-02-29", n: "-9007199254740993", v: 5e-324, price: "123456789012345678901234567890.5", approx: "1e3", ok: "yes" },
];

/** Doubles JSON cannot hold (NaN, ±Infinity, spelled out or overflowing), as raw NDJSON lines: not nulls on either path. */
const NON_FINITE = [
  '{"id":"spelled","at":"2026-11-29T10:00:00Z","v":"NaN","approx":"-inf","ok":true}',
  '{"id":"overflow","at":"2026-11-29T10:00:00Z","v":1e400,"approx":-1e400,"ok":false}',
];

describe("normalize of a compaction's fragments (DuckDB) against Tidemark's reader of the same records", () => {
  it("writes the same rows and Parquet types as the JS normalizer does for the pushed body", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidemark-fragments-"));
    const body = Buffer.from([...RECORDS.map((r) => JSON.stringify(r)), ...NON_FINITE].join("\n") + "\n");
    writeFileSync(join(dir, "body.ndjson"), body);
    const js = await normalizeSource({ definition: DEF, input: join(dir, "body.ndjson"), fileLabel: "body" });
    await writeFile(join(dir, "js.parquet"), encodeParquet(js.table));
    const fragment = await validateRecords(DEF, body, "ndjson", { maxBodyBytes: 1 << 20, maxRecordBytes: 1 << 20 });
    writeFileSync(join(dir, "source"), Buffer.concat([fragment.ndjson, fragment.ndjson.subarray(0, fragment.ndjson.indexOf(10) + 1)]));
    const rows = await engine.with((c) => normalizeFragments(c, DEF, join(dir, "source"), join(dir, "engine.parquet")));
    expect(rows).toBe(RECORDS.length + NON_FINITE.length + 1);
    const want = await readBack(join(dir, "js.parquet"));
    const got = await readBack(join(dir, "engine.parquet"));
    expect(got.schema).toEqual(want.schema);
    expect(got.rows).toEqual([...want.rows, want.rows[0]]);
    const nonFinite = got.rows.filter((r) => r[0] === "spelled" || r[0] === "overflow").map((r) => [r[4], r[6]]);
    expect(nonFinite).toEqual([["NaN", "-inf"], ["inf", "-inf"]]);
  });

  it("keeps the sign of a negative zero double, spelled -0, -0.0 or \"-0\", as the JS normalizer does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidemark-fragments-"));
    const body = Buffer.from(['{"id":"literal","at":"2026-11-29T10:00:00Z","day":null,"n":null,"v":-0,"price":null,"approx":-0.0,"ok":null}', '{"id":"text","at":"2026-11-29T10:00:00Z","day":null,"n":null,"v":"-0","price":null,"approx":"-0e5","ok":null}'].join("\n") + "\n");
    writeFileSync(join(dir, "body.ndjson"), body);
    const js = await normalizeSource({ definition: DEF, input: join(dir, "body.ndjson"), fileLabel: "body" });
    await writeFile(join(dir, "js.parquet"), encodeParquet(js.table));
    const fragment = await validateRecords(DEF, body, "ndjson", { maxBodyBytes: 1 << 20, maxRecordBytes: 1 << 20 });
    writeFileSync(join(dir, "source"), fragment.ndjson);
    await engine.with((c) => normalizeFragments(c, DEF, join(dir, "source"), join(dir, "engine.parquet")));
    const zeros = (rows: string[][]) => rows.map((r) => [r[0], r[4], r[6]]);
    expect(zeros((await readBack(join(dir, "js.parquet"))).rows)).toEqual([["literal", "-0", "-0"], ["text", "-0", "-0"]]);
    expect(zeros((await readBack(join(dir, "engine.parquet"))).rows)).toEqual([["literal", "-0", "-0"], ["text", "-0", "-0"]]);
  });

  it("reads a column's value from the fragment even when a directory of its path is named <column>=<value>", async () => {
    const out = mkdtempSync(join(tmpdir(), "tidemark-fragments-"));
    const dir = join(out, "price=9", "ok=false");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "source"), '{"id":"a","at":"2026-11-29T10:00:00.000000Z","day":null,"n":null,"v":null,"price":"1.5","approx":null,"ok":true}\n');
    await engine.with((c) => normalizeFragments(c, DEF, join(dir, "source"), join(out, "out.parquet")));
    const { rows } = await readBack(join(out, "out.parquet"));
    expect(rows.map((r) => [r[0], r[5], r[7]])).toEqual([["a", "1.5", "true"]]);
  });

  it("refuses a null in a column the definition makes not nullable, as a data error (the fragment is then set aside)", async () => {
    const strict = parseDefinition(
      `id: strict
source: { push: {} }
schema:
  columns:
    - { name: id, type: string }
    - { name: at, type: timestamp }
    - { name: note, type: string, nullable: false }
  key: [id]
  partition_by: at
`,
      "strict.yaml",
    );
    const dir = mkdtempSync(join(tmpdir(), "tidemark-fragments-"));
    writeFileSync(join(dir, "good"), '{"id":"a","at":"2026-11-29T10:00:00.000000Z","note":"x"}\n');
    writeFileSync(join(dir, "old"), '{"id":"b","at":"2026-11-29T10:00:00.000000Z","note":null}\n');
    expect(await engine.with((c) => normalizeFragments(c, strict, join(dir, "good"), join(dir, "good.parquet")))).toBe(1);
    const err = await engine.with((c) => normalizeFragments(c, strict, join(dir, "old"), join(dir, "old.parquet"))).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^Invalid Input Error: Column "note" is null, which its definition does not allow \(nullable: false\)\./);
  });

  it("reads the columns by name with the dataset's types, in file order", () => {
    const sql = fragmentsCopySql(DEF, "/s/source", "/s/out.parquet");
    expect(sql).toContain(`columns = {'id': 'VARCHAR', 'at': 'TIMESTAMPTZ', 'day': 'DATE', 'n': 'BIGINT', 'v': 'DOUBLE', 'price': 'VARCHAR', 'approx': 'DOUBLE', 'ok': 'BOOLEAN'}`);
    expect(sql).toMatch(/^COPY \(SELECT CASE WHEN "id" IS NULL THEN error\('Key column "id" is null\.'\) ELSE "id" END AS "id", CASE WHEN "at" IS NULL OR NOT \(epoch_us\("at"\) BETWEEN .*\) THEN error\('Partition column "at" is null or outside the partition years 1000–9999\.'\) ELSE "at" END AS "at", "day", "n", "v", "price", "approx", "ok" FROM read_json\('\/s\/source'/);
    expect(sql).not.toMatch(/ORDER BY/);
  });
});

describe("timestamps whose UTC instant leaves the years 0001–9999 through their offset", () => {
  const def = parseDefinition(
    `id: pushed
source: { push: {} }
schema:
  columns:
    - { name: id, type: string }
    - { name: day, type: date }
    - { name: until, type: timestamp }
  key: [id]
  partition_by: day
`,
    "pushed.yaml",
  );
  const body = Buffer.from(
    [
      { id: "past 9999", day: "2026-11-29", until: "9999-12-31T23:00:00-02:00" },
      { id: "last microsecond", day: "2026-11-29", until: "9999-12-31T23:59:59.999999-00:01" },
      { id: "before 0001", day: "2026-11-29", until: "0001-01-01T00:30:00+01:00" },
      { id: "plain", day: "2026-11-29", until: "2026-11-29T10:00:00.5Z" },
    ]
      .map((r) => JSON.stringify(r))
      .join("\n") + "\n",
  );

  it("are written to fragments that compaction reads back as the file-source reader reads them (both validators)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidemark-fragments-"));
    writeFileSync(join(dir, "body.ndjson"), body);
    const js = await normalizeSource({ definition: def, input: join(dir, "body.ndjson"), fileLabel: "body" });
    await writeFile(join(dir, "js.parquet"), encodeParquet(js.table));
    const want = await readBack(join(dir, "js.parquet"));
    expect(want.rows.map((r) => r[2])).toEqual(["253402304400000000", "253402300859999999", "-62135598600000000", "1795946400500000"]);
    const limits = { maxBodyBytes: 1 << 20, maxRecordBytes: 1 << 20 };
    const compiled = new NdjsonValidator(def, limits).validate(body);
    expect(compiled).not.toBeNull();
    for (const fragment of [compiled!.ndjson, (await validateRecords(def, body, "ndjson", limits)).ndjson]) {
      writeFileSync(join(dir, "source"), fragment);
      await engine.with((c) => normalizeFragments(c, def, join(dir, "source"), join(dir, "engine.parquet")));
      expect((await readBack(join(dir, "engine.parquet"))).rows).toEqual(want.rows);
    }
  });
});
