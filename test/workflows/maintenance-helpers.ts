import type { Client } from "@temporalio/client";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IngestResult } from "../../src/contracts";
import type { GcInput, GcResult, VerifyResult } from "../../src/maintenance";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, workspace, type SeriesRow } from "./ingest-fixtures";

/** A dataset on a fs store with a worker on its own task queue, and shortcuts to run the workflows. */
export interface MaintenanceBed {
  dataset: string;
  taskQueue: string;
  store: ObjectStore;
  client: Client;
  worker: RunningWorker;
  root: string;
  writeSource(rows: SeriesRow[]): void;
  ingest(): Promise<IngestResult>;
  verify(repair?: boolean): Promise<VerifyResult>;
  gc(input: Omit<GcInput, "dataset">): Promise<GcResult>;
  current(): Promise<VersionManifest>;
  keys(): Promise<string[]>;
  /** Overwrites an object, returning how to put the original back. */
  replace(path: string, body: Uint8Array | string | null): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Sets up a {@link MaintenanceBed} (a snapshot dataset unless `mode` says otherwise); `faults` is passed to the worker. */
export async function maintenanceBed(label: string, faults?: (point: string) => void | Promise<void>, mode: "snapshot" | "upsert" = "snapshot"): Promise<MaintenanceBed> {
  const dataset = `${label}_${Date.now().toString(36)}`;
  const ws = workspace(dataset, mode);
  const store = new FsObjectStore(mkdtempSync(join(tmpdir(), "tidemark-store-")));
  const taskQueue = uniqueTaskQueue(label);
  const client = await testClient();
  const worker = await startTestWorker({ store, datasetsDir: ws.datasetsDir, taskQueue, client, faults });
  const root = `datasets/${dataset}/`;
  let runs = 0;
  const bed: MaintenanceBed = {
    dataset, taskQueue, store, client, worker, root,
    writeSource: ws.writeSource,
    ingest: () => client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] }) as Promise<IngestResult>,
    verify: (repair = false) => client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${dataset}-${++runs}`, taskQueue, args: [{ dataset, repair }] }) as Promise<VerifyResult>,
    gc: (input) => client.workflow.execute("collectGarbage", { workflowId: `tidemark/gc/${dataset}-${++runs}`, taskQueue, args: [{ dataset, ...input }] }) as Promise<GcResult>,
    async current() {
      const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
      return parseVersionManifest((await store.get(root + pointer.manifest)).body);
    },
    async keys() {
      const out: string[] = [];
      for await (const o of store.list(root)) out.push(o.key.slice(root.length));
      return out;
    },
    async replace(path, body) {
      const original = (await store.get(root + path)).body;
      if (body === null) await store.delete(root + path);
      else await store.put(root + path, body, { kind: "overwrite" });
      return async () => {
        await store.put(root + path, original, { kind: "overwrite" });
      };
    },
    async close() {
      await worker.stop();
      await client.connection.close();
    },
  };
  return bed;
}

/** Three snapshots: a first load, a revision (updates, deletes, a new month), a second revision; and the final rows. */
export function threeVersions(): { sources: SeriesRow[][]; final: SeriesRow[] } {
  const v1 = monthlySeries(["A", "B", "C"], "2024-01", 6, (s, m) => 100 + m + s.charCodeAt(0) / 10);
  const v2 = v1.filter((r) => !(r.series_id === "C" && r.obs_date < "2024-03")).map((r) => (r.series_id === "A" && r.obs_date >= "2024-05" ? { ...r, value: 999.5 } : r));
  v2.push(...monthlySeries(["A", "B"], "2024-07", 1, () => 7.25));
  const v3 = v2.map((r) => (r.series_id === "B" && r.obs_date === "2024-02-01" ? { ...r, value: null } : r)).filter((r) => !(r.series_id === "A" && r.obs_date === "2024-07-01"));
  return { sources: [v1, v2, v3], final: [...v3].sort((a, b) => keyOf(a).localeCompare(keyOf(b))) };
}
