import type { Client, WorkflowHandle } from "@temporalio/client";
import { WorkflowFailedError } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { temporal } from "@temporalio/proto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createActivities } from "../../activities";
import type { IngestResult } from "../../src/contracts";
import { StoreUnavailableError } from "../../src/errors";
import type { GcResult, VerifyResult } from "../../src/maintenance";
import { TidemarkMetrics } from "../../src/observability/metrics";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { seriesDefinitionYaml } from "../support/definitions";
import { OUTSIDE_NAMESPACE } from "../support/global-setup";
import { startHttpServer } from "../support/http";
import { inspectPublished } from "../support/published";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, toCsv, type SeriesRow } from "./ingest-fixtures";

const EventType = temporal.api.enums.v1.EventType;

/** A gate a fault point waits on: the test learns when the run reached it and decides how it continues. */
function gate(): { reached: Promise<void>; wait(): Promise<"complete" | "fail">; release(how: "complete" | "fail"): void } {
  let arrive!: () => void;
  let open!: (how: "complete" | "fail") => void;
  const reached = new Promise<void>((r) => (arrive = r));
  const opened = new Promise<"complete" | "fail">((r) => (open = r));
  return { reached, wait: () => (arrive(), opened), release: (how) => open(how) };
}

/** Waits until the run's history holds a cancel request that a later workflow task has processed. */
async function cancelProcessed(handle: WorkflowHandle): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const events = (await handle.fetchHistory()).events ?? [];
    const at = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
    if (at >= 0 && events.slice(at).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the cancel request was never processed by the workflow");
}

async function listAll(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys.sort();
}

/**
 * The commit point (SPEC §3): publish runs to completion even when the run is cancelled, the run's
 * outcome is decided from the store, compensations never delete what a version on the chain
 * references, and cleanup after the commit never fails a published run.
 */
describe("the commit point under cancel, failure and outside writers", { timeout: 180_000 }, () => {
  const dataset = `commit_${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), "tm-commit-"));
  const datasetsDir = join(dir, "datasets");
  const sourcePath = join(dir, "series.csv");
  const outsideSource = join(dir, "outside.csv");
  const base = new FsObjectStore(join(dir, "store"));
  let failScratchDeletes = false;
  const store: ObjectStore = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === "delete") {
        return async (key: string) => {
          if (failScratchDeletes && key.includes("/runs/")) throw new StoreUnavailableError(`injected: the store refused to delete ${key}`);
          return target.delete(key);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const ours = uniqueTaskQueue("commit");
  const theirs = uniqueTaskQueue("commit-outside");
  const metrics = new TidemarkMetrics({ processMetrics: false });
  let hold: ReturnType<typeof gate> | undefined;
  let outsideOnTop: (() => Promise<IngestResult>) | undefined;
  let loseNextAnswer = false;
  let checkRefusals = 0;
  const checks: string[] = [];
  let client: Client;
  let outsideClient: Client;
  let webhook: Awaited<ReturnType<typeof startHttpServer>>;
  const workers: RunningWorker[] = [];
  const root = `datasets/${dataset}/`;
  let value = 0;

  const writeSource = () => {
    value++;
    const rows: SeriesRow[] = monthlySeries(["A", "B"], "2024-01", 4, (_s, m) => m + value);
    writeFileSync(sourcePath, toCsv(rows));
  };
  const start = () => client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue: ours, args: [{ dataset }] });
  /** Starts a run on a new source, cancels it while publish is held at the CAS, and once the workflow has processed the cancel lets the publish go on as `how`. */
  const cancelWhileHeld = async (how: "complete" | "fail") => {
    writeSource();
    hold = gate();
    const handle = await start();
    await hold.reached;
    await handle.cancel();
    await cancelProcessed(handle);
    hold.release(how);
    return handle;
  };
  const verify = () => client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${dataset}-${value}`, taskQueue: ours, args: [{ dataset }] }) as Promise<VerifyResult>;

  beforeAll(async () => {
    webhook = await startHttpServer((_r, res) => {
      res.end("ok");
    });
    mkdirSync(datasetsDir);
    writeFileSync(join(datasetsDir, `${dataset}.yaml`), seriesDefinitionYaml({ id: dataset, uri: `file://${sourcePath}`, mode: "upsert", notifyUrl: `${webhook.url}/hook` }));
    client = await testClient();
    outsideClient = await testClient(OUTSIDE_NAMESPACE);
    workers.push(await startTestWorker({
      store, datasetsDir, taskQueue: ours, client, metrics,
      faults: async (point) => {
        if (point === "publish:before-cas" && hold) {
          const how = await hold.wait();
          if (how === "fail") throw ApplicationFailure.nonRetryable("injected: the publish failed after the cancel", "InjectedFault");
        }
        if (point === "publish:end" && loseNextAnswer) {
          loseNextAnswer = false;
          throw ApplicationFailure.nonRetryable("injected: the CAS was applied but its answer was lost", "InjectedFault");
        }
        if (point === "checkPublished:start" && checkRefusals > 0) {
          checks.push("refused");
          checkRefusals--;
          throw ApplicationFailure.create({ message: "injected: the store did not answer the check", type: "InjectedOutage", nextRetryDelay: "20ms" });
        }
        if (point === "checkPublished:end") checks.push("answered");
        if (point === "publish:end" && outsideOnTop) {
          const publishOnTop = outsideOnTop;
          outsideOnTop = undefined;
          await publishOnTop();
          throw ApplicationFailure.nonRetryable("injected: the CAS was applied but its answer was lost and the retries ran out", "InjectedFault");
        }
      },
    }));
    workers.push(await startTestWorker({ store: base, datasetsDir, taskQueue: theirs, client: outsideClient, namespace: OUTSIDE_NAMESPACE }));
    writeSource();
    const first = (await (await start()).result()) as IngestResult;
    expect(first.status).toBe("published");
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await client?.connection.close();
    await outsideClient?.connection.close();
    await webhook?.close();
  });

  it("(a) a cancel that arrives while publish is held at the CAS: the publish completes and the run ends published", async () => {
    const handle = await cancelWhileHeld("complete");
    const result = (await handle.result()) as IngestResult;
    hold = undefined;

    expect(result.status).toBe("published");
    const state = await inspectPublished(base, dataset);
    expect(state.chain[0].version).toBe(result.version);
    expect(state.broken).toEqual([]);
    expect(state.unreferenced).toEqual([]);
    expect((await verify()).findings).toEqual([]);
    expect(webhook.received.filter((r) => r.headers["idempotency-key"] === `${dataset}/${result.version}`)).toHaveLength(1);
    const closed = await handle.describe();
    expect(closed.status.name).toBe("COMPLETED");
  });

  it("(b) a cancel while publish is held, then the publish fails: nothing of the version is left", async () => {
    const before = await listAll(base, root);
    const pointer = Buffer.from((await base.get(`${root}current/manifest.json`)).body);
    const handle = await cancelWhileHeld("fail");
    const err = await handle.result().catch((e: unknown) => e);
    hold = undefined;

    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(Buffer.from((await base.get(`${root}current/manifest.json`)).body)).toEqual(pointer);
    expect(await listAll(base, root)).toEqual(before);
  });

  it("(c) a CAS applied but reported failed, retries exhausted, an outside writer on top: the run is published and nothing on the chain is deleted", async () => {
    const prior = (await inspectPublished(base, dataset)).chain[0].version;
    writeFileSync(outsideSource, toCsv(monthlySeries(["Z"], "2024-02", 2, () => 42)));
    let outside: IngestResult | undefined;
    outsideOnTop = async () =>
      (outside = (await outsideClient.workflow.execute("ingestDataset", {
        workflowId: ingestWorkflowId(dataset), taskQueue: theirs, args: [{ dataset, source: `file://${outsideSource}` }],
      })) as IngestResult);
    writeSource();
    const result = (await (await start()).result()) as IngestResult;

    expect(outside).toMatchObject({ status: "published", parentVersion: result.version });
    expect(result).toMatchObject({ status: "published", parentVersion: prior });
    const state = await inspectPublished(base, dataset);
    expect(state.chain.slice(0, 3).map((m) => m.version)).toEqual([outside!.version, result.version, prior]);
    expect(state.broken).toEqual([]);
    expect(state.unreferenced).toEqual([]);

    const keys = await listAll(base, root);
    const undo = createActivities({ store: base, datasetsDir });
    const definition = await undo.resolveDefinition({ dataset });
    const planned = { dataset, version: result.version, base: prior };
    await undo.deleteVersionManifest(planned);
    await undo.deleteProjections({ ...planned, definition, months: ["2024-01", "2024-02", "2024-03", "2024-04"] });
    await undo.deleteEvents(planned);
    await undo.deleteIndex(planned);
    expect(await listAll(base, root)).toEqual(keys);
    expect((await verify()).findings).toEqual([]);
  });

  it("(d) a CAS applied but reported failed, then the store does not answer the check for more than 20 attempts: the run waits for the answer and ends published", async () => {
    const prior = (await inspectPublished(base, dataset)).chain[0].version;
    loseNextAnswer = true;
    checkRefusals = 25;
    checks.length = 0;
    writeSource();
    const result = (await (await start()).result()) as IngestResult;

    expect(loseNextAnswer).toBe(false);
    expect(checks).toEqual([...Array<string>(25).fill("refused"), "answered"]);
    expect(result).toMatchObject({ status: "published", parentVersion: prior });
    expect((await inspectPublished(base, dataset)).chain[0].version).toBe(result.version);
    expect(webhook.received.filter((r) => r.headers["idempotency-key"] === `${dataset}/${result.version}`)).toHaveLength(1);
    expect((await verify()).findings).toEqual([]);
  });

  it("cleanup after the commit that exhausts its retries is counted and left to gc; notify still runs", async () => {
    writeSource();
    failScratchDeletes = true;
    let result: IngestResult;
    try {
      result = (await (await start()).result()) as IngestResult;
    } finally {
      failScratchDeletes = false;
    }
    expect(result.status).toBe("published");
    expect(webhook.received.filter((r) => r.headers["idempotency-key"] === `${dataset}/${result.version}`)).toHaveLength(1);
    const left = (await metrics.cleanupsLeft.get()).values.find((v) => v.labels.dataset === dataset && v.labels.step === "deleteRunScratch");
    expect(left?.value).toBe(1);
    expect((await listAll(base, `${root}runs/`)).length).toBeGreaterThan(0);

    const gc = (await client.workflow.execute("collectGarbage", { workflowId: `tidemark/gc/${dataset}`, taskQueue: ours, args: [{ dataset, olderThan: 0 }] })) as GcResult;
    expect(gc.deleted).toBeGreaterThan(0);
    expect(await listAll(base, `${root}runs/`)).toEqual([]);
    expect((await verify()).findings).toEqual([]);
  });
});
