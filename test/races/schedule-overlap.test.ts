import type { Client } from "@temporalio/client";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rootFailure } from "../../src/cli/failure";
import type { IngestResult } from "../../src/contracts";
import { busyMessage, ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { eventually, runCli, tempStore, writeDefinition } from "../cli/helpers";
import { withDeadline } from "../support/deadline";
import { services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";

/**
 * A Schedule that fires while a manual `tidemark ingest` holds the dataset (blocked just before its
 * CAS) is refused with the busy message; the manual run then publishes alone.
 */
describe("a schedule firing during a manual run", { timeout: 300_000 }, () => {
  const DS = `race_sched_${Date.now().toString(36)}`;
  const SCHEDULE_ID = `tidemark/schedule/${DS}`;
  const work = tempStore("race-sched");
  const source = join(work.dir, "source.csv");
  const taskQueue = uniqueTaskQueue("race-sched");
  let client: Client;
  let worker: RunningWorker;
  let env: Record<string, string>;
  let holdAtCas: Promise<void> | undefined;
  let reachedCas: (() => void) | undefined;
  let casReached = 0;

  beforeAll(async () => {
    const datasets = join(work.dir, "datasets");
    const storeDir = join(work.dir, "store");
    mkdirSync(datasets);
    mkdirSync(storeDir);
    writeFileSync(source, "series_id,obs_date,value\nA,2025-01-01,1\nA,2025-02-01,2\nB,2025-01-01,3\n");
    writeDefinition(datasets, DS, pathToFileURL(source).href);
    client = await testClient();
    worker = await startTestWorker({
      store: new FsObjectStore(storeDir), datasetsDir: datasets, taskQueue, client,
      faults: async (point) => {
        if (point !== "publish:before-cas") return;
        casReached++;
        if (!holdAtCas) return;
        reachedCas?.();
        await holdAtCas;
      },
    });
    const { temporal } = services();
    env = { TIDEMARK_STORE: pathToFileURL(storeDir).href, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: taskQueue };
  });
  afterAll(async () => {
    await client?.schedule.getHandle(SCHEDULE_ID).delete().catch(() => {});
    await worker?.stop();
    await client?.connection.close();
    work.cleanup();
  });

  it("is refused with the busy message and never runs alongside it", async () => {
    const first = await runCli(["ingest", DS, "--wait", "--json"], env);
    expect(first.code, first.stderr).toBe(0);
    const v1 = JSON.parse(first.stdout) as IngestResult;
    expect((await runCli(["schedule", "create", DS, "--every", "1h"], env)).code).toBe(0);

    let release!: () => void;
    holdAtCas = new Promise<void>((resolve) => (release = resolve));
    const atCas = new Promise<void>((resolve) => (reachedCas = resolve));
    try {
      writeFileSync(source, "series_id,obs_date,value\nA,2025-01-01,10\nA,2025-02-01,2\nC,2025-03-01,5\n");
      const manual = await runCli(["ingest", DS, "--json"], env);
      expect(manual.code, manual.stderr).toBe(0);
      const holder = { workflowId: ingestWorkflowId(DS), runId: JSON.parse(manual.stdout).runId as string };
      await withDeadline(atCas, 120_000, "the manual run reaching its CAS");

      const schedule = client.schedule.getHandle(SCHEDULE_ID);
      await schedule.trigger();
      const fired = await eventually(async () => (await schedule.describe()).info.recentActions[0]?.action.workflow, 60_000, "the triggered schedule action");
      const refusal = await client.workflow.getHandle(fired.workflowId, fired.firstExecutionRunId).result().catch((e: unknown) => e);
      expect(rootFailure(refusal)).toMatchObject({ type: "DatasetBusyError", message: busyMessage(DS, holder) });
      const held = await client.workflow.getHandle(holder.workflowId).describe();
      expect({ runId: held.runId, status: held.status.name }).toEqual({ runId: holder.runId, status: "RUNNING" });

      release();
      const result = (await client.workflow.getHandle(holder.workflowId, holder.runId).result()) as IngestResult;
      expect(result).toMatchObject({ status: "published", parentVersion: v1.version, counts: { inserted: 1, updated: 1, deleted: 1, rowsTotal: 3 } });
      expect(casReached).toBe(2);
      const runs: string[] = [];
      for await (const w of client.workflow.list({ query: `WorkflowId = '${holder.workflowId}'` })) runs.push(w.runId);
      expect(runs.sort()).toEqual([v1.runId, holder.runId].sort());
      const versions = JSON.parse((await runCli(["versions", DS, "--json"], env)).stdout) as { version: string }[];
      expect(versions.map((v) => v.version)).toEqual([result.version, v1.version]);
      const read = await runCli(["read", DS], env);
      expect(read.stdout).toBe("series_id,obs_date,value\nA,2025-01-01,10\nA,2025-02-01,2\nC,2025-03-01,5\n");
      console.log(`[races] schedule fired during manual run ${holder.runId}: refused (${fired.workflowId}) with: ${busyMessage(DS, holder)}`);
    } finally {
      release();
      holdAtCas = undefined;
    }
  });
});
