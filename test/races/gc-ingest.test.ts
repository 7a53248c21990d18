import type { Client } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { GcResult, VerifyResult } from "../../src/maintenance";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { S3ObjectStore } from "../../src/store/s3";
import type { ObjectStore } from "../../src/store/types";
import { makeS3Client, services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, workspace } from "../workflows/ingest-fixtures";

/** A promise the test resolves: `open()` lets a waiter through, `reached` tells that one is waiting. */
function latch(): { reached: Promise<void>; arrive(): void; opened: Promise<void>; open(): void } {
  let arrive!: () => void;
  let open!: () => void;
  return { reached: new Promise<void>((r) => (arrive = r)), arrive: () => arrive(), opened: new Promise<void>((r) => (open = r)), open: () => open() };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The store as seen through a server whose clock is `skewMs` behind the worker's: every last-modified time it reports is that much earlier. */
function clockBehind(store: ObjectStore, skewMs: number): ObjectStore {
  const shift = <T extends { lastModified: Date }>(o: T): T => ({ ...o, lastModified: new Date(o.lastModified.getTime() - skewMs) });
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "head") return async (key: string) => shift(await target.head(key));
      if (prop === "list") {
        return (prefix: string, options?: object) =>
          (async function* () {
            for await (const o of target.list(prefix, options)) yield shift(o);
          })();
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const minio = (label: string) => {
  const client = makeS3Client();
  return { store: new S3ObjectStore({ client, bucket: services().s3.bucket, prefix: `${label}-${Date.now()}` }), close: () => client.destroy() };
};

const backends: { name: string; make: (dir: string) => { store: ObjectStore; close(): void } }[] = [
  { name: "file", make: (dir) => ({ store: new FsObjectStore(`${dir}/store`), close() {} }) },
  { name: "s3", make: () => minio("gc-race") },
  {
    name: "s3 whose clock is 5 s behind the worker's",
    make: () => {
      const m = minio("gc-race-skew");
      return { store: clockBehind(m.store, 5_000), close: m.close };
    },
  },
];

/**
 * gc checks that no ingest runs, then walks the chain and lists the dataset; an ingest that starts
 * after the check writes objects while gc walks. Those objects are unreferenced until its CAS, and
 * must be young to gc whatever `olderThan` is, since they were written after gc started.
 */
describe.each(backends)("gc racing an ingest that starts after gc checked for one [$name store]", { timeout: 180_000 }, ({ make }) => {
  const dataset = `gcrace_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const ws = workspace(dataset, "upsert");
  const backend = make(ws.dir);
  const base = backend.store;
  const pointerKey = `datasets/${dataset}/current/manifest.json`;
  /** Armed: the next read of the pointer (gc's chain walk) waits here. */
  let gcWalk: ReturnType<typeof latch> | undefined;
  /** Armed: the next publish waits here after its manifest, before its CAS. */
  let cas: ReturnType<typeof latch> | undefined;
  const store: ObjectStore = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === "get") {
        return async (key: string) => {
          const held = key === pointerKey ? gcWalk : undefined;
          if (held) {
            gcWalk = undefined;
            held.arrive();
            await held.opened;
          }
          return target.get(key);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const taskQueue = uniqueTaskQueue("gc-race");
  let client: Client;
  let worker: RunningWorker;

  beforeAll(async () => {
    client = await testClient();
    worker = await startTestWorker({
      store, datasetsDir: ws.datasetsDir, taskQueue, client,
      faults: async (point) => {
        const held = point === "publish:before-cas" ? cas : undefined;
        if (!held) return;
        cas = undefined;
        held.arrive();
        await held.opened;
      },
    });
    ws.writeSource(monthlySeries(["A", "B"], "2024-01", 3, (_s, m) => m));
    const first = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] })) as IngestResult;
    expect(first.status).toBe("published");
  });

  afterAll(async () => {
    gcWalk?.open();
    cas?.open();
    await worker?.stop();
    await client?.connection.close();
    backend.close();
  });

  it("deletes none of the objects the ingest wrote meanwhile, and the version it publishes stays whole", async () => {
    gcWalk = latch();
    const walk = gcWalk;
    const gc = client.workflow.execute("collectGarbage", { workflowId: `tidemark/gc/${dataset}`, taskQueue, args: [{ dataset, olderThan: 0 }] }) as Promise<GcResult>;
    await walk.reached;

    ws.writeSource(monthlySeries(["A", "B"], "2024-01", 3, (_s, m) => m + 10));
    cas = latch();
    const atCas = cas;
    const ingest = client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] }) as Promise<IngestResult>;
    await atCas.reached;
    await pause(50);

    walk.open();
    const swept = await gc;
    atCas.open();
    const second = await ingest;
    expect(second.status).toBe("published");
    expect(swept.keys.filter((k) => k.includes(second.version))).toEqual([]);
    expect(swept.young, "gc listed the ingest's unpublished objects (the runs interleaved)").toBeGreaterThanOrEqual(6);
    const verified = (await client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${dataset}`, taskQueue, args: [{ dataset }] })) as VerifyResult;
    expect(verified.findings).toEqual([]);
  });
});
