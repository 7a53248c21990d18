import type { Client } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { GcResult, VerifyResult } from "../../src/maintenance";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, workspace } from "./ingest-fixtures";

/** Longer than the 30 s heartbeat timeout of gc and verify: what walking a chain of thousands of versions on S3 takes. */
const SLOW_WALK_MS = 33_000;

/**
 * gc and verify walk the version chain (one manifest read per version) before their other phases;
 * SPEC §3: long activities heartbeat inside long phases, so a slow walk must not time the attempt out.
 */
describe("gc and verify heartbeat while they walk a slow version chain", { timeout: 240_000 }, () => {
  const dataset = `slowchain_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "upsert");
  const base = new FsObjectStore(`${ws.dir}/store`);
  const pointerKey = `datasets/${dataset}/current/manifest.json`;
  /** Which read of the pointer (1-based, counted from the last reset) is slow; 0: none. */
  let slowRead = 0;
  let pointerReads = 0;
  const store: ObjectStore = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === "get") {
        return async (key: string) => {
          if (key === pointerKey && ++pointerReads === slowRead) await new Promise((r) => setTimeout(r, SLOW_WALK_MS));
          return target.get(key);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const taskQueue = uniqueTaskQueue("slow-chain");
  let client: Client;
  let worker: RunningWorker;

  beforeAll(async () => {
    client = await testClient();
    worker = await startTestWorker({ store, datasetsDir: ws.datasetsDir, taskQueue, client });
    ws.writeSource(monthlySeries(["A"], "2024-01", 2, (_s, m) => m));
    const first = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] })) as IngestResult;
    expect(first.status).toBe("published");
  });

  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });

  it("gc finishes in its first attempt", async () => {
    pointerReads = 0;
    slowRead = 1;
    const started = Date.now();
    const result = (await client.workflow.execute("collectGarbage", { workflowId: `tidemark/gc/${dataset}`, taskQueue, args: [{ dataset }] })) as GcResult;
    slowRead = 0;
    expect(Date.now() - started).toBeGreaterThan(SLOW_WALK_MS);
    expect(result.deleted).toBe(0);
    expect(pointerReads, "gc read the pointer again: its first attempt timed out").toBe(1);
  });

  it("verify finishes in its first attempt", async () => {
    pointerReads = 0;
    slowRead = 2;
    const result = (await client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${dataset}`, taskQueue, args: [{ dataset }] })) as VerifyResult;
    slowRead = 0;
    expect(result.findings).toEqual([]);
    expect(pointerReads, "verify read the pointer again after its readBase: its check's first attempt timed out").toBe(2);
  });
});
