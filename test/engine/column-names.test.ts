import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { VerifyResult } from "../../src/maintenance";
import { ingestWorkflowId } from "../../src/one-writer";
import { openFixtureStore, type FixtureStore } from "./fixture-store";

/**
 * Column names the engine's SQL once used for its own columns (`filename` of DuckDB's file name
 * column; `k`, `r`, `m`, `v` of verify's fold): a dataset may use them like any other name.
 */
const DATASET = "plain_names";

interface Row {
  filename: string;
  day: string;
  k: number;
  r: string;
  m: number;
  v: string;
}

const csv = (rows: Row[]) => `filename,day,k,r,m,v\n${rows.map((x) => [x.filename, x.day, x.k, x.r, x.m, x.v].join(",")).join("\n")}\n`;

let fx: FixtureStore;

beforeAll(async () => {
  fx = await openFixtureStore(null, DATASET, [
    "schema:", "  columns:",
    "    - { name: filename, type: string }", "    - { name: day, type: date }", "    - { name: k, type: int }",
    "    - { name: r, type: string }", "    - { name: m, type: int }", "    - { name: v, type: string }",
    "  key: [filename]", "  partition_by: day", "mode: upsert",
  ]);
});
afterAll(() => fx?.stop());

async function readRows(): Promise<Row[]> {
  const out = await fx.readRows("filename, strftime(day, '%Y-%m-%d') AS day, k, r, m, v FROM rows ORDER BY filename");
  return out.map((x) => ({ filename: String(x.filename), day: String(x.day), k: Number(x.k), r: String(x.r), m: Number(x.m), v: String(x.v) }));
}

const ingest = async (rows: Row[]) => {
  writeFileSync(fx.sourcePath, csv(rows));
  return (await fx.client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as IngestResult;
};
const verify = async (suffix: string) => (await fx.client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${DATASET}-${suffix}`, taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as VerifyResult;

describe("a dataset with columns named filename, k, r, m and v [file store, real dev server]", () => {
  it("publishes an update and a key moving month, reads back exactly, and verifies clean", async () => {
    const v1: Row[] = [
      { filename: "a.csv", day: "2025-01-01", k: 1, r: "x", m: 10, v: "one" },
      { filename: "b.csv", day: "2025-01-02", k: 2, r: "y", m: 20, v: "two" },
      { filename: "c.csv", day: "2025-02-01", k: 3, r: "z", m: 30, v: "three" },
    ];
    expect((await ingest(v1)).counts).toMatchObject({ inserted: 3 });
    expect((await verify("v1")).findings).toEqual([]);

    const v2 = [{ ...v1[0], v: "uno" }, { ...v1[1], day: "2025-02-02" }, v1[2]];
    const second = await ingest(v2);
    expect(second.status).toBe("published");
    expect(second.counts).toMatchObject({ inserted: 0, updated: 2, unchanged: 1, rowsTotal: 3 });
    expect(await readRows()).toEqual(v2);
    expect((await verify("v2")).findings).toEqual([]);
  });
});
