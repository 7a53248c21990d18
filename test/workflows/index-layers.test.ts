import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeParquet, encodeParquet } from "../../src/parquet";
import { keyOf, monthlySeries, type SeriesRow } from "./ingest-fixtures";
import { maintenanceBed, type MaintenanceBed } from "./maintenance-helpers";
import { readProjectionRows } from "./read-back";

const series = Array.from({ length: 20 }, (_, i) => `S${String(i).padStart(2, "0")}`);
const v1 = monthlySeries(series, "2023-01", 24, (s, m) => m + s.charCodeAt(2));
const v2 = monthlySeries(["S00"], "2023-01", 10, () => 999.5);
const v3 = [...monthlySeries(["S01"], "2023-01", 2, () => -1), ...monthlySeries(["NEW"], "2024-06", 1, () => 3)];
const state = new Map<string, SeriesRow>();
for (const r of [...v1, ...v2, ...v3]) state.set(keyOf(r), r);
const expected = [...state.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));

let bed: MaintenanceBed;
const versions: string[] = [];
beforeAll(async () => {
  bed = await maintenanceBed("layers", undefined, "upsert");
  for (const rows of [v1, v2, v3]) {
    bed.writeSource(rows);
    const result = await bed.ingest();
    expect(result.status).toBe("published");
    versions.push((await bed.current()).version);
  }
});
afterAll(async () => {
  await bed?.close();
});

describe("the key index as a base and delta layers, through the real workflow [file store]", () => {
  it("a small upsert writes a layer of its changed keys and carries the base: verify is clean and the rows are the upserts'", async () => {
    const m = await bed.current();
    expect(m.index.map((e) => [e.path, e.rows, e.layer])).toEqual([
      [`index/${versions[0]}/keys.parquet`, v1.length, undefined],
      [`index/${versions[1]}/delta.parquet`, v2.length, "delta"],
      [`index/${versions[2]}/delta.parquet`, v3.length, "delta"],
    ]);
    expect(m.totals.rows_total).toBe(expected.length);
    expect(await readProjectionRows(bed.store, bed.dataset)).toEqual(expected);
    expect((await bed.verify()).findings).toEqual([]);
  });

  it("gc keeps the carried base index", async () => {
    await bed.gc({ olderThan: 0 });
    expect(await bed.keys()).toContain(`index/${versions[0]}/keys.parquet`);
    expect((await bed.verify()).findings).toEqual([]);
  });

  it("verify finds a layer that lost a key, and repair publishes one complete index", async () => {
    const layer = `index/${versions[2]}/delta.parquet`;
    const table = decodeParquet((await bed.store.get(bed.root + layer)).body);
    await bed.replace(layer, encodeParquet(table.slice(0, table.numRows - 1)));
    const result = await bed.verify(true);
    expect(result.findings.filter((f) => f.check === "index").map((f) => f.object)).toContain(layer);
    expect(result.findings.map((f) => f.problem)).toContainEqual(expect.stringMatching(/^The index differs from the fold of the events: /));
    expect(result.repair).toMatchObject({ status: "published" });
    expect(result.remaining).toEqual([]);
    const repaired = await bed.current();
    expect(repaired.index).toEqual([expect.objectContaining({ path: `index/${repaired.version}/keys.parquet`, rows: expected.length })]);
    expect(await readProjectionRows(bed.store, bed.dataset)).toEqual(expected);
  });
});
