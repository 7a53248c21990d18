import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { VerifyResult } from "../../src/maintenance";
import { ingestWorkflowId } from "../../src/one-writer";
import { openFixtureStore, type FixtureStore } from "../engine/fixture-store";

/**
 * A definition whose read options change while the source's bytes stay the same: the new options
 * take effect on the next run instead of the run ending "unchanged" on the source hash.
 */
const DATASET = "read_options";

let fx: FixtureStore;

/** Rewrites the dataset's definition (the fixture's file, read by every run): the day column's `format`, top-level `extra` lines and `source` lines. */
function define(dayFormat: string, extra: string[] = [], source: string[] = []): void {
  const lines = [
    `id: ${DATASET}`, ...extra, "source:", `  uri: file://${fx.sourcePath}`, "  format: csv", ...source,
    "schema:", "  columns:", "    - { name: id, type: string }", `    - { name: day, type: date, format: "${dayFormat}" }`, "    - { name: v, type: double }",
    "  key: [id]", "  partition_by: day", "",
  ];
  writeFileSync(join(dirname(fx.sourcePath), "datasets", `${DATASET}.yaml`), lines.join("\n"));
}

beforeAll(async () => {
  fx = await openFixtureStore(null, DATASET, ["schema:", "  columns:", "    - { name: id, type: string }", "  key: [id]", "  partition_by: id"]);
  writeFileSync(fx.sourcePath, "id,day,v\nA,01/02/2025,1\nB,03/04/2025,2\n");
});
afterAll(() => fx?.stop());

const ingest = async () => (await fx.client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as IngestResult;
const days = async () => (await fx.readRows("id, strftime(day, '%Y-%m-%d') AS day FROM rows ORDER BY id")).map((r) => `${r.id} ${r.day}`);

describe("read options changed on an unchanged source [file store, real dev server]", () => {
  it("are applied by the next run and recorded; a change outside the read fingerprint stays unchanged", async () => {
    define("MM/DD/YYYY");
    expect((await ingest()).status).toBe("published");
    expect(await days()).toEqual(["A 2025-01-02", "B 2025-03-04"]);
    const first = (await fx.current()).source.read;
    expect(first).toMatch(/^tidemark\.read\/1:[0-9a-f]{16}$/);
    expect((await ingest()).status).toBe("unchanged");

    define("DD/MM/YYYY");
    const swapped = await ingest();
    expect(swapped.status).toBe("published");
    expect(swapped.counts).toMatchObject({ updated: 2, rowsTotal: 2 });
    expect(await days()).toEqual(["A 2025-02-01", "B 2025-04-03"]);
    expect((await fx.current()).source.read).not.toBe(first);
    expect((await ingest()).status).toBe("unchanged");

    define("DD/MM/YYYY", ["description: the same rows, described"]);
    expect((await ingest()).status).toBe("unchanged");

    define("DD/MM/YYYY", [], ['  options: { null_values: ["", "NA"] }']);
    const same = await ingest();
    expect(same.status).toBe("published");
    expect(same.counts).toMatchObject({ inserted: 0, updated: 0, deleted: 0, unchanged: 2, rowsTotal: 2 });
    expect(await days()).toEqual(["A 2025-02-01", "B 2025-04-03"]);
    expect((await ingest()).status).toBe("unchanged");

    const verify = (await fx.client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${DATASET}`, taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
  });
});
