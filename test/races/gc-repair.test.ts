import type { Client } from "@temporalio/client";
import { WorkflowFailedError } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { GcResult, VerifyResult } from "../../src/maintenance";
import { monthFiles } from "../../src/manifest/month-files";
import { parsePointer, parseVersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, workspace } from "../workflows/ingest-fixtures";
import { rootFailure } from "../../src/cli/failure";

/**
 * A repair (verify --repair, run by the CLI as tidemark/verify/<dataset>) writes a new index and
 * projection files, then CASes them in: until then they are unreferenced. gc must not sweep them,
 * also when the repair was started under another id, as a Temporal Schedule's runs are.
 */
describe.each([
  ["the CLI's id", (ds: string) => `tidemark/verify/${ds}`],
  ["a Schedule's id", (ds: string) => `nightly-repair-${ds}-2026-12-01T03:00:00Z`],
])("gc while a repair started under %s is about to publish", { timeout: 180_000 }, (_name, startId) => {
  const dataset = `gcrepair_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const ws = workspace(dataset, "upsert");
  const store = new FsObjectStore(`${ws.dir}/store`);
  const root = `datasets/${dataset}/`;
  let arrive!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((r) => (arrive = r));
  const opened = new Promise<void>((r) => (open = r));
  const taskQueue = uniqueTaskQueue("gc-repair");
  let client: Client;
  let worker: RunningWorker;

  beforeAll(async () => {
    client = await testClient();
    worker = await startTestWorker({
      store, datasetsDir: ws.datasetsDir, taskQueue, client,
      faults: async (point) => {
        if (point !== "repair:before-cas") return;
        arrive();
        await opened;
      },
    });
    ws.writeSource(monthlySeries(["A", "B"], "2024-01", 3, (_s, m) => m));
    const first = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] })) as IngestResult;
    expect(first.status).toBe("published");
  });

  afterAll(async () => {
    open();
    await worker?.stop();
    await client?.connection.close();
  });

  it("refuses, naming the repair, and the repaired version stays whole", async () => {
    const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
    const manifest = parseVersionManifest((await store.get(root + pointer.manifest)).body);
    await store.delete(root + monthFiles(manifest.projections.latest["2024-02"])[0].path);
    const repair = client.workflow.execute("verifyDataset", { workflowId: startId(dataset), taskQueue, args: [{ dataset, repair: true }] }) as Promise<VerifyResult>;
    await reached;
    await new Promise((r) => setTimeout(r, 50));

    const gc = client.workflow.execute("collectGarbage", { workflowId: `tidemark/gc/${dataset}`, taskQueue, args: [{ dataset, olderThan: 0 }] }) as Promise<GcResult>;
    const swept = await gc.then(
      (r) => r,
      (err: unknown) => err,
    );
    open();
    const repaired = await repair;
    expect(repaired.repair?.status).toBe("published");
    expect(repaired.remaining).toEqual([]);
    expect(swept).toBeInstanceOf(WorkflowFailedError);
    const failure = rootFailure(swept);
    expect(failure.type).toBe("VerifyRunningError");
    expect(failure.message).toContain(`is being verified by workflow tidemark/verify/${dataset}`);
  });
});
