import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VersionManifest } from "../../src/manifest/schema";
import { decodeParquet } from "../../src/parquet";
import { FsObjectStore } from "../../src/store/fs";
import { monthlySeries } from "../workflows/ingest-fixtures";
import { maintenanceBed, type MaintenanceBed } from "../workflows/maintenance-helpers";
import { monthFiles } from "../../src/manifest/month-files";

/** The Python with pyarrow that .ci/run provisions (or TIDEMARK_PYARROW_PYTHON). */
function pyarrowPython(): string {
  const explicit = process.env.TIDEMARK_PYARROW_PYTHON;
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  const python = explicit || join(cache, "tidemark", "pyarrow", "bin", "python");
  if (!existsSync(python)) throw new Error(`pyarrow's Python is missing at ${python}; run .ci/run (it creates it from test/crosscheck/requirements.txt) or set TIDEMARK_PYARROW_PYTHON.`);
  return python;
}

interface PyFile {
  path: string;
  rows: number;
  columns: [string, string][];
  first: unknown[];
}

/**
 * Every Parquet file the engine writes (events, index, projections) is read back by two readers
 * that did not write it: parquet-wasm (Tidemark's light read path) and pyarrow, in another process.
 */
describe("independent readers of the engine's files [fs store, real dev server]", () => {
  let bed: MaintenanceBed;
  beforeAll(async () => {
    bed = await maintenanceBed("xcheck");
  });
  afterAll(async () => {
    await bed?.close();
  });

  it("parquet-wasm and pyarrow read every file of two versions, with the rows their manifests record", async () => {
    const v1 = monthlySeries(["A", "B", "C"], "2024-01", 6, (s, m) => m + s.charCodeAt(0) / 10);
    const v2 = v1.filter((r) => r.series_id !== "C").map((r) => (r.obs_date === "2024-03-01" ? { ...r, value: null } : r));
    const manifests: VersionManifest[] = [];
    for (const rows of [v1, v2]) {
      bed.writeSource(rows);
      expect((await bed.ingest()).status).toBe("published");
      manifests.push(await bed.current());
    }
    const recorded = new Map<string, number>();
    for (const m of manifests) {
      for (const e of m.events) recorded.set(e.path, e.rows);
      for (const i of m.index) recorded.set(i.path, i.rows);
      for (const months of Object.values(m.projections)) for (const f of Object.values(months).flatMap(monthFiles)) recorded.set(f.path, f.rows);
    }
    expect([...recorded.keys()].filter((p) => p.startsWith("events/"))).toHaveLength(2);
    expect(recorded.size).toBeGreaterThan(12);
    const storeRoot = (bed.store as FsObjectStore).root;
    const paths = [...recorded.keys()].map((p) => join(storeRoot, bed.root, p));

    const py = execFileSync(pyarrowPython(), [join(__dirname, "read_all.py")], { input: paths.join("\n") }).toString().trim().split("\n").map((l) => JSON.parse(l) as PyFile);
    expect(py.map((f) => f.path)).toEqual(paths);
    for (const [i, [rel, rows]] of [...recorded].entries()) {
      const wasm = decodeParquet(readFileSync(paths[i]));
      expect(wasm.numRows, `parquet-wasm rows of ${rel}`).toBe(rows);
      expect(py[i].rows, `pyarrow rows of ${rel}`).toBe(rows);
      expect(py[i].columns.map(([name]) => name), `columns of ${rel}`).toEqual(wasm.schema.fields.map((f) => f.name));
      const first = wasm.schema.fields[0].name;
      const wasmFirst = Array.from({ length: wasm.numRows }, (_, r) => wasm.getChild(first)!.get(r));
      if (typeof wasmFirst[0] === "string") expect(py[i].first, `first column of ${rel}`).toEqual(wasmFirst);
    }
    const projection = py.find((f) => f.path.includes("/projections/"))!;
    expect(projection.columns).toEqual([["series_id", "string"], ["obs_date", "date32[day]"], ["value", "double"]]);
    const index = py.find((f) => f.path.includes("/index/"))!;
    expect(index.columns).toEqual([["key_hash", "binary"], ["row_hash", "binary"], ["month", "int32"]]);
  });
});
