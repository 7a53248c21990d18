import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { VerifyResult } from "../../src/maintenance";
import { ingestWorkflowId } from "../../src/one-writer";
import { readProjectionRows } from "../workflows/read-back";
import { openFixtureStore, type FixtureStore } from "./fixture-store";

/**
 * The fixture store test/fixtures/stores/legacy-v1 was written by the release before the DuckDB
 * engine (commit 830211a, its activities called directly): dataset `legacy_series`, snapshot mode,
 * v1 = series A, B, C × 2025-01…04, v2 = A, B × 2025-01…05 (C dropped, month 4 revised, B-02 null).
 */
const DATASET = "legacy_series";
const OLD_VERSIONS = ["20251101T000000000Z-00000001", "20251201T000000000Z-00000002"];

interface Row {
  series_id: string;
  obs_date: string;
  value: number | null;
}

/** The fixture's second version, as its generator wrote it. */
function fixtureV2(): Row[] {
  const rows: Row[] = [];
  for (const s of ["A", "B"]) {
    for (let m = 1; m <= 5; m++) {
      const value = s.charCodeAt(0) * 10 + m + 0.25 + (m === 4 ? 1 : 0);
      rows.push({ series_id: s, obs_date: `2025-${String(m).padStart(2, "0")}-01`, value: m === 2 && s === "B" ? null : value });
    }
  }
  return rows;
}

const csv = (rows: Row[]) => `series_id,obs_date,value,status\n${rows.map((r) => `${r.series_id},${r.obs_date},${r.value ?? ""},A`).join("\n")}\n`;

let fx: FixtureStore;

beforeAll(async () => {
  fx = await openFixtureStore("legacy-v1", DATASET, [
    "schema:", "  columns:",
    "    - { name: series_id, type: string }", "    - { name: obs_date, type: date }", "    - { name: value, type: double }", "    - { name: status, type: string }",
    "  key: [series_id, obs_date]", "  partition_by: obs_date", "mode: snapshot",
  ]);
});
afterAll(() => fx?.stop());

describe("a store written by the release before the engine [file store, real dev server]", () => {
  it("is read and extended: a new version on top of it publishes exactly the new source, and verify is clean", async () => {
    const before = await fx.current();
    expect(before.version).toBe(OLD_VERSIONS[1]);
    expect(before.index.every((f) => f.hashing === undefined)).toBe(true);
    expect(before.format).toBe("tidemark.version/1");

    const v2 = fixtureV2();
    const v3 = v2.map((r) => (r.series_id === "A" && r.obs_date === "2025-05-01" ? { ...r, value: 7.5 } : r)).filter((r) => !(r.series_id === "B" && r.obs_date === "2025-01-01"));
    v3.push({ series_id: "D", obs_date: "2025-06-01", value: 1.25 });
    writeFileSync(fx.sourcePath, csv(v3));

    const result = (await fx.client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as IngestResult;
    expect(result.status).toBe("published");
    expect(result.parentVersion).toBe(OLD_VERSIONS[1]);
    expect(result.counts).toMatchObject({ inserted: 1, updated: 1, deleted: 1, rowsTotal: v3.length });

    const after = await fx.current();
    expect(after.parent_version).toBe(OLD_VERSIONS[1]);
    expect(after.index.every((f) => f.hashing === "tidemark.hash/3")).toBe(true);
    expect(after.format).toBe("tidemark.version/2");
    const carried = before.projections.latest["2025-02"] as { path: string; rows: number; bytes: number };
    expect(after.projections.latest["2025-02"]).toEqual({ rows: carried.rows, files: [{ path: carried.path, rows: carried.rows, bytes: carried.bytes }] });
    const sorted = [...v3].sort((a, b) => `${a.series_id}|${a.obs_date}`.localeCompare(`${b.series_id}|${b.obs_date}`));
    expect(await readProjectionRows(fx.store, DATASET)).toEqual(sorted);

    const verify = (await fx.client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${DATASET}-compat`, taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
    expect(verify.version).toBe(after.version);
  });
});
