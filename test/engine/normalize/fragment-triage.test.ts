import { mkdtempSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDefinition } from "../../../src/definition";
import type { Engine } from "../../../src/engine/connection";
import { normalizeFragmentsSettingAside } from "../../../src/engine/normalize/fragment-triage";
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
    - { name: n, type: int }
  key: [id]
  partition_by: at
`,
  "pushed.yaml",
);

const line = (id: string, n: unknown = 1) => `${JSON.stringify({ id, at: "2026-11-29T10:00:00.000000Z", n })}\n`;

/** Stages `fragments` concatenated as the inbox stage does, and normalizes them; `reads` counts the fragments read again. */
async function run(fragments: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-triage-"));
  const source = join(dir, "source");
  await writeFile(source, Object.values(fragments).join(""));
  const reads: string[] = [];
  const read = async (id: string) => {
    reads.push(id);
    return Buffer.from(fragments[id]);
  };
  const done = await engine.with((c) => normalizeFragmentsSettingAside(c, DEF, { sourcePath: source, outPath: join(dir, "out.parquet"), fragments: Object.keys(fragments), read }));
  return { ...done, reads, ids: (await readBack(join(dir, "out.parquet"))).rows.map((r) => r[0]) };
}

describe("normalize of a compaction's fragments, setting aside those DuckDB cannot read", () => {
  it("reads no fragment again when the whole read succeeds", async () => {
    const got = await run({ f1: line("a"), f2: line("b") + line("c") });
    expect(got).toMatchObject({ rows: 3, setAside: [], reads: [], ids: ["a", "b", "c"] });
  });

  it("sets aside a fragment with a value that does not cast and one with a truncated line, keeping the others in order", async () => {
    const got = await run({ f1: line("a"), f2: line("b") + line("x", "abc"), f3: line("c").slice(0, 25) + "\n", f4: line("d") });
    expect(got.rows).toBe(2);
    expect(got.ids).toEqual(["a", "d"]);
    expect(got.reads).toEqual(["f1", "f2", "f3", "f4"]);
    expect(got.setAside).toEqual([
      { fragment: "f2", reason: 'JSON transform error in line 2: Failed to cast value to numerical: "…".' },
      { fragment: "f3", reason: expect.stringMatching(/^Malformed JSON at byte \d+ in line \d+: .*\.$/) },
    ]);
  });

  it("sets aside a fragment with a null key and one whose partition column is null or outside the partition years", async () => {
    const got = await run({ f1: line("a"), f2: line("x").replace('"id":"x"', '"id":null'), f3: line("y").replace(/"at":"[^"]*"/, '"at":null'), f4: line("z").replace("2026-11-29", "0500-11-29"), f5: line("b") });
    expect(got.ids).toEqual(["a", "b"]);
    expect(got.setAside).toEqual([
      { fragment: "f2", reason: 'Key column "id" is null.' },
      { fragment: "f3", reason: 'Partition column "at" is null or outside the partition years 1000–9999.' },
      { fragment: "f4", reason: 'Partition column "at" is null or outside the partition years 1000–9999.' },
    ]);
  });

  it("writes an empty table when every fragment fails", async () => {
    const got = await run({ f1: line("x", "abc") });
    expect(got).toMatchObject({ rows: 0, ids: [], setAside: [{ fragment: "f1" }] });
  });

  it("throws a failure that is not the data's, without setting anything aside", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidemark-triage-"));
    await writeFile(join(dir, "source"), line("x", "abc"));
    const read = () => Promise.reject(new Error("store unavailable"));
    await expect(engine.with((c) => normalizeFragmentsSettingAside(c, DEF, { sourcePath: join(dir, "source"), outPath: join(dir, "out.parquet"), fragments: ["f1"], read }))).rejects.toThrow("store unavailable");
  });
});
