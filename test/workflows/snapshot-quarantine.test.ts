import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { VerifyResult } from "../../src/maintenance";
import { ingestWorkflowId } from "../../src/one-writer";
import { openFixtureStore, type FixtureStore } from "../engine/fixture-store";

/**
 * Snapshot mode with `on_bad_rows: quarantine`: a key whose row is quarantined is not a key the
 * source dropped, so a snapshot with bad rows deletes nothing; the next clean snapshot does.
 */
const DATASET = "snap_quarantine";

let fx: FixtureStore;

beforeAll(async () => {
  fx = await openFixtureStore(null, DATASET, [
    "schema:", "  columns:", "    - { name: id, type: string }", "    - { name: day, type: date }", "    - { name: v, type: double }",
    "  key: [id]", "  partition_by: day", "mode: snapshot", "on_bad_rows: quarantine",
  ]);
});
afterAll(() => fx?.stop());

const ingest = async () => (await fx.client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as IngestResult;
const published = async () => (await fx.readRows("id, v FROM rows ORDER BY id")).map((r) => `${r.id}=${r.v}`);

describe("a snapshot with quarantined rows [file store, real dev server]", () => {
  it("keeps the published rows of keys it lacks, and the next clean snapshot deletes the dropped ones", async () => {
    writeFileSync(fx.sourcePath, "id,day,v\nA,2025-01-01,1\nB,2025-01-02,2\nC,2025-02-01,3\n");
    expect((await ingest()).counts).toMatchObject({ inserted: 3, rowsTotal: 3 });

    writeFileSync(fx.sourcePath, "id,day,v\nA,2025-01-01,10\nB,2025-01-02,not a number\n");
    const bad = await ingest();
    expect(bad.quarantined?.rows).toBe(1);
    expect(bad.counts).toMatchObject({ updated: 1, deleted: 0, rowsTotal: 3 });
    expect(await published()).toEqual(["A=10", "B=2", "C=3"]);

    writeFileSync(fx.sourcePath, "id,day,v\nA,2025-01-01,10\nB,2025-01-02,20\n");
    const clean = await ingest();
    expect(clean.quarantined).toBeUndefined();
    expect(clean.counts).toMatchObject({ updated: 1, deleted: 1, rowsTotal: 2 });
    expect(await published()).toEqual(["A=10", "B=20"]);

    const verify = (await fx.client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${DATASET}`, taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
  });
});
