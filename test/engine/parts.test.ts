import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { Engine } from "../../src/engine/connection";
import { runDelta } from "../../src/engine/delta";
import { compareProjections, foldEvents } from "../../src/engine/fold";
import { dirtyMonths, filesHoldingChangedKeys, mergeMonthFiles } from "../../src/engine/months";
import { EngineTask } from "../../src/engine/task";

const dir = mkdtempSync(join(tmpdir(), "tidemark-parts-engine-"));
let engine: Engine;
beforeAll(async () => {
  engine = await Engine.open({ memoryLimit: "256MB", threads: 2, tempDirectory: join(dir, "tmp") });
});
afterAll(() => engine?.close());

const def = parseDefinition(
  `id: t\nsource: { uri: "file:///x.csv", format: csv }\nschema:\n  columns:\n    - { name: id, type: string }\n    - { name: d, type: date }\n    - { name: v, type: double }\n  key: [id]\n  partition_by: d\nmode: upsert\n`,
  "t.yaml",
);

let n = 0;
/** A Parquet file of [id, date, value] rows (optionally event columns), written by DuckDB from literals. */
async function parquet(rows: [string, string, number][], extra = ""): Promise<string> {
  const path = join(dir, `f${++n}.parquet`);
  const values = rows.map(([id, d, v]) => `('${id}', DATE '${d}', ${v}::DOUBLE)`).join(", ");
  await engine.with((c) => c.run(`COPY (SELECT *${extra} FROM (VALUES ${values}) t(id, d, v) ORDER BY id) TO '${path}' (FORMAT parquet)`));
  return path;
}

async function delta(normalized: string, baseIndex: string | null, definition = def) {
  const out = { index: join(dir, `i${++n}.parquet`), changes: join(dir, `c${n}.parquet`), removals: join(dir, `r${n}.parquet`) };
  await EngineTask.run(engine, 1, (task) => runDelta(task, { dataset: "t", version: "v1", definition, normalized, base: baseIndex ? { kind: "index", files: [baseIndex] } : { kind: "none" }, baseRows: 2, out }));
  return out;
}

describe("finding the parts that hold changed keys", () => {
  it("marks only months with updates or removals dirty, and only the parts holding those keys", async () => {
    const v1 = await delta(await parquet([["a", "2025-01-01", 1], ["b", "2025-01-02", 2], ["c", "2025-02-01", 3]]), null);
    const partA = await parquet([["a", "2025-01-01", 1]]);
    const partB = await parquet([["b", "2025-01-02", 2]]);
    const partC = await parquet([["c", "2025-02-01", 3]]);
    const v2 = await delta(await parquet([["b", "2025-01-02", 9], ["e", "2025-02-05", 5], ["f", "2025-03-01", 6]]), v1.index);
    await EngineTask.run(engine, 1, async (task) => {
      expect(await dirtyMonths(task, def, v2.changes, v2.removals)).toEqual([202501]);
      expect(await filesHoldingChangedKeys(task, def, v2.changes, v2.removals, [partA, partB, partC])).toEqual(new Set([partB]));
      expect(await filesHoldingChangedKeys(task, def, v2.changes, v2.removals, [])).toEqual(new Set());
    });
  });

  it("a key moving to another month makes its old month dirty (a removal) and its part is found; the month it moves to is not dirty", async () => {
    const v1 = await delta(await parquet([["a", "2025-01-01", 1], ["b", "2025-01-02", 2]]), null);
    const partA = await parquet([["a", "2025-01-01", 1]]);
    const partB = await parquet([["b", "2025-01-02", 2]]);
    const v2 = await delta(await parquet([["a", "2025-04-01", 1]]), v1.index);
    await EngineTask.run(engine, 1, async (task) => {
      expect(await dirtyMonths(task, def, v2.changes, v2.removals)).toEqual([202501]);
      expect(await filesHoldingChangedKeys(task, def, v2.changes, v2.removals, [partA, partB])).toEqual(new Set([partA]));
    });
  });
});

describe("finding the parts that hold removed keys", () => {
  it("a key a snapshot drops (only its hash is known) makes its month dirty and its part is found", async () => {
    const snapshot = { ...def, mode: "snapshot" as const };
    const v1 = await delta(await parquet([["a", "2025-01-01", 1], ["b", "2025-01-02", 2]]), null, snapshot);
    const partA = await parquet([["a", "2025-01-01", 1]]);
    const partB = await parquet([["b", "2025-01-02", 2]]);
    const v2 = await delta(await parquet([["a", "2025-01-01", 1]]), v1.index, snapshot);
    await EngineTask.run(engine, 1, async (task) => {
      expect(await task.rows(`SELECT count(*)::INTEGER AS n FROM read_parquet('${v2.changes}')`)).toEqual([{ n: 0 }]);
      expect(await dirtyMonths(task, snapshot, v2.changes, v2.removals)).toEqual([202501]);
      expect(await filesHoldingChangedKeys(task, snapshot, v2.changes, v2.removals, [partA, partB])).toEqual(new Set([partB]));
    });
  });
});

describe("mergeMonthFiles", () => {
  it("merges parts into one file sorted by key with every row once", async () => {
    const out = join(dir, "merged.parquet");
    const rows = await EngineTask.run(engine, 1, async (task) => mergeMonthFiles(task, def, [await parquet([["c", "2025-01-03", 3], ["a", "2025-01-01", 1]]), await parquet([["b", "2025-01-02", 2]])], out));
    expect(rows).toBe(3);
    expect(await engine.rows(`SELECT id, v FROM read_parquet('${out}')`)).toEqual([{ id: "a", v: 1 }, { id: "b", v: 2 }, { id: "c", v: 3 }]);
  });
});

describe("compareProjections over a month of several files", () => {
  it("is clean when the parts together hold the fold, and counts a key found in two parts", async () => {
    const events = await parquet([["a", "2025-01-01", 1], ["b", "2025-01-02", 2]], ", 'insert' AS _op");
    const p1 = await parquet([["a", "2025-01-01", 1]]);
    const p2 = await parquet([["b", "2025-01-02", 2]]);
    const p1again = await parquet([["a", "2025-01-01", 1]]);
    const p3 = await parquet([["a", "2025-01-01", 1], ["b", "2025-01-02", 2]]);
    const compared = await EngineTask.run(engine, 1, async (task) => {
      const folded = await foldEvents(task, def.schema, [{ path: events, month: 202501, version: "v1" }]);
      return compareProjections(task, folded, [
        { name: "good", month: 202501, path: p1 },
        { name: "good", month: 202501, path: p2 },
        { name: "split", month: 202501, path: p1again },
        { name: "split", month: 202501, path: p3 },
      ]);
    });
    expect(compared.get("good/202501")).toEqual({ missing: 0, extra: 0, wrong: 0, duplicates: 0, elsewhere: 0, split: 0 });
    expect(compared.get("split/202501")).toMatchObject({ missing: 0, extra: 0, wrong: 0, duplicates: 1, split: 1 });
  });
});
