import type { Client } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { VerifyResult } from "../../src/maintenance";
import type { OptimizeResult } from "../../src/manifest/optimize";
import { monthFiles } from "../../src/manifest/month-files";
import { parsePointer, parseVersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, workspace } from "./ingest-fixtures";

/**
 * The commit point of optimize and repair, like an ingest's (SPEC §2): a publish call that fails
 * after its CAS was applied (the answer lost, the retries spent) leaves the version published, and
 * the run must say so instead of failing.
 */
describe("optimize and repair whose CAS was applied but whose publish call failed", { timeout: 180_000 }, () => {
  const dataset = `mcommit_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "upsert");
  const store = new FsObjectStore(`${ws.dir}/store`);
  const root = `datasets/${dataset}/`;
  /** The activity whose successful end throws (once), as if its answer were lost and its retries spent. */
  let lose: string | undefined;
  /** How many more `checkPublished` attempts fail as if the store did not answer, and what each attempt met. */
  let checkRefusals = 0;
  const checks: string[] = [];
  const taskQueue = uniqueTaskQueue("maintenance-commit");
  let client: Client;
  let worker: RunningWorker;
  const current = async () => {
    const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
    return parseVersionManifest((await store.get(root + pointer.manifest)).body);
  };
  const ingest = async (series: string) => {
    ws.writeSource(monthlySeries([series], "2024-01", 2, (_s, m) => m));
    const result = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] })) as IngestResult;
    expect(result.status).toBe("published");
  };

  beforeAll(async () => {
    client = await testClient();
    worker = await startTestWorker({
      store, datasetsDir: ws.datasetsDir, taskQueue, client,
      faults: (point) => {
        if (point === "checkPublished:start" && checkRefusals > 0) {
          checkRefusals--;
          checks.push("refused");
          throw ApplicationFailure.create({ message: "injected: the store did not answer the check", type: "InjectedOutage", nextRetryDelay: "20ms" });
        }
        if (point === "checkPublished:end") checks.push("answered");
        if (point !== lose) return;
        lose = undefined;
        throw ApplicationFailure.nonRetryable(`injected: ${point} applied its CAS but its answer was lost and the retries ran out`, "InjectedFault");
      },
    });
    for (const series of ["A", "B", "C"]) await ingest(series);
    expect(monthFiles((await current()).projections.latest["2024-01"])).toHaveLength(3);
  });

  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });

  it("optimize ends published, and its merged files stay, though the store did not answer the check for 21 attempts (the old limit was 20)", async () => {
    lose = "publishOptimized:end";
    checkRefusals = 21;
    const result = (await client.workflow.execute("optimizeDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, all: true }] })) as OptimizeResult;
    expect(lose, "the fault fired").toBeUndefined();
    expect(checks).toEqual([...Array<string>(21).fill("refused"), "answered"]);
    expect(result.status).toBe("published");
    const manifest = await current();
    expect(manifest.version).toBe(result.version);
    expect(monthFiles(manifest.projections.latest["2024-01"])).toHaveLength(1);
  });

  it("verify --repair reports the repair published, and its files stay", async () => {
    const before = await current();
    await store.delete(root + monthFiles(before.projections.latest["2024-02"])[0].path);
    lose = "publishRepair:end";
    const result = (await client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${dataset}`, taskQueue, args: [{ dataset, repair: true }] })) as VerifyResult;
    expect(lose, "the fault fired").toBeUndefined();
    expect(result.repair?.status).toBe("published");
    expect(result.remaining).toEqual([]);
    expect((await current()).parent_version).toBe(before.version);
  });
});
