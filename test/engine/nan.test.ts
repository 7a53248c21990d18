import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { VerifyResult } from "../../src/maintenance";
import { ingestWorkflowId } from "../../src/one-writer";
import { openDuck } from "../support/duck";
import { openFixtureStore, type FixtureStore } from "./fixture-store";

/**
 * NaN with and without the sign bit (x86 computes 0/0 as the one with it; DuckDB prints it `-nan`)
 * is one value: a source whose NaNs flip sign, in a key and in a value column, changes nothing.
 */
const DATASET = "nans";

let fx: FixtureStore;

beforeAll(async () => {
  fx = await openFixtureStore(null, DATASET, [
    "schema:", "  columns:", "    - { name: id, type: double }", "    - { name: day, type: date }", "    - { name: v, type: double }",
    "  key: [id]", "  partition_by: day", "mode: snapshot",
  ], "parquet");
});
afterAll(() => fx?.stop());

/** Writes the source with DuckDB; `sign` is the NaNs' sign. */
async function writeSource(sign: "+" | "-"): Promise<void> {
  const nan = sign === "-" ? "-('nan'::DOUBLE)" : "'nan'::DOUBLE";
  const duck = await openDuck();
  try {
    await duck.conn.run(`COPY (SELECT * FROM (VALUES (1.0::DOUBLE, DATE '2025-01-01', ${nan}), (${nan}, DATE '2025-01-02', 5.0::DOUBLE)) t(id, day, v)) TO '${fx.sourcePath}' (FORMAT parquet)`);
    const spelled = (await duck.conn.runAndReadAll(`SELECT string_agg(v::VARCHAR || '/' || id::VARCHAR, ' ' ORDER BY day) AS s FROM read_parquet('${fx.sourcePath}')`)).getRowObjectsJS()[0].s;
    expect(spelled).toBe(sign === "-" ? "-nan/1.0 5.0/-nan" : "nan/1.0 5.0/nan");
  } finally {
    duck.close();
  }
}

const ingest = async () => (await fx.client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as IngestResult;

describe("NaN keys and values whose sign bit changes [file store, real dev server]", () => {
  it("are unchanged rows: nothing is published, and verify is clean", async () => {
    await writeSource("+");
    expect((await ingest()).counts).toMatchObject({ inserted: 2, rowsTotal: 2 });
    await writeSource("-");
    const second = await ingest();
    expect(second.status).toBe("no-changes");
    expect(second.counts).toMatchObject({ inserted: 0, updated: 0, deleted: 0, unchanged: 2, rowsTotal: 2 });
    const verify = (await fx.client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${DATASET}`, taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
  });
});
