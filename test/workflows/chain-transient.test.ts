import type { Client } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { StoreUnavailableError } from "../../src/errors";
import type { GcResult, VerifyResult } from "../../src/maintenance";
import { parsePointer } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, workspace } from "./ingest-fixtures";

/**
 * verify and gc walk the version chain; a store that fails one read of a parent manifest for a moment
 * (throttling, a reset connection) is a reason to retry, not a damaged chain to restore from a backup.
 */
describe("a transient store failure while walking the version chain", { timeout: 180_000 }, () => {
  const dataset = `chainblip_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "upsert");
  const base = new FsObjectStore(`${ws.dir}/store`);
  const root = `datasets/${dataset}/`;
  /** The key whose next read fails once with a retryable store error. */
  let blip: string | undefined;
  let blips = 0;
  const store: ObjectStore = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === "get") {
        return async (key: string) => {
          if (key === blip) {
            blip = undefined;
            blips++;
            throw new StoreUnavailableError(`injected: S3 is unavailable for read of "${key}" (SlowDown); retry with backoff.`);
          }
          return target.get(key);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const taskQueue = uniqueTaskQueue("chain-blip");
  let client: Client;
  let worker: RunningWorker;
  let parentManifest: string;

  beforeAll(async () => {
    client = await testClient();
    worker = await startTestWorker({ store, datasetsDir: ws.datasetsDir, taskQueue, client });
    for (const shift of [0, 10]) {
      ws.writeSource(monthlySeries(["A"], "2024-01", 2, (_s, m) => m + shift));
      const result = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] })) as IngestResult;
      expect(result.status).toBe("published");
    }
    parentManifest = `${root}events/${parsePointer((await base.get(`${root}current/manifest.json`)).body).parent_version}/manifest.json`;
  });

  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });

  it("verify retries and finds nothing wrong", async () => {
    blips = 0;
    blip = parentManifest;
    const result = (await client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${dataset}`, taskQueue, args: [{ dataset }] })) as VerifyResult;
    expect(blips, "the store failed the read once").toBe(1);
    expect(result.findings).toEqual([]);
  });

  it("gc retries and sweeps", async () => {
    blips = 0;
    blip = parentManifest;
    const result = (await client.workflow.execute("collectGarbage", { workflowId: `tidemark/gc/${dataset}`, taskQueue, args: [{ dataset }] })) as GcResult;
    expect(blips, "the store failed the read once").toBe(1);
    expect(result.deleted).toBe(0);
  });
});
