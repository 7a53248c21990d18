import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/connection";
import { hashSql } from "../../src/engine/hash-sql";
import { tmpdir } from "node:os";
import { join } from "node:path";

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.open({ memoryLimit: "128MB", threads: 1, tempDirectory: join(tmpdir(), "tidemark-hash-test") });
});
afterAll(() => engine?.close());

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

/** docs/hashing.md, recomputed here from the text of the document, not from the product's code. */
describe("hashSql (tidemark.hash/2)", () => {
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

  it("hashes no columns as MD5 of the empty input", async () => {
    const [row] = await engine.rows<{ h: string }>(`SELECT hex(${hashSql([])}) AS h`);
    expect(row.h.toLowerCase()).toBe(md5(""));
  });
});
