import type { Client, WorkflowHandle } from "@temporalio/client";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { IngestResult } from "../../src/contracts.js";
import { startEmbeddedStack, type EmbeddedStack } from "../../src/devstack/embedded.js";
import { ingestWorkflowId } from "../../src/one-writer.js";
import { definitionYaml } from "./data.js";
import { runTiming, type RunTiming } from "./history.js";
import { startWorker, type ChildWorker, type WorkerEnv } from "./worker.js";

/** The Temporal dev server (no in-process worker) and the bench's working directory. */
export interface BenchStack {
  dir: string;
  datasetsDir: string;
  server: EmbeddedStack;
  client: Client;
  /** Child-worker environment for a store URL (plus S3 settings for MinIO). */
  workerEnv(storeUrl: string, extra?: Record<string, string>): WorkerEnv;
  /** Writes `datasets/<id>.yaml`. */
  define(dataset: string, source: string, mode?: "snapshot" | "upsert"): void;
  /** Quick mode: {@link withWorker} keeps one worker across scenarios (a restart costs seconds of bundling). */
  shareWorkers: boolean;
  /** The kept worker, if any. */
  shared?: { storeUrl: string; worker: ChildWorker };
}

/** Stops the worker kept by {@link withWorker} in quick mode (before P6, or a different store). */
export async function stopSharedWorker(stack: BenchStack): Promise<void> {
  const kept = stack.shared;
  stack.shared = undefined;
  await kept?.worker.stop();
}

/** Starts the dev server (SQLite in memory, loopback, no UI) for the whole bench. */
export async function startBenchStack(dir: string, shareWorkers: boolean): Promise<BenchStack> {
  const datasetsDir = join(dir, "datasets");
  mkdirSync(datasetsDir, { recursive: true });
  const server = await startEmbeddedStack({ port: "any", uiPort: false, storeUrl: `file://${join(dir, "unused")}`, datasetsDir, worker: false });
  return {
    dir,
    datasetsDir,
    server,
    client: server.client,
    workerEnv: (storeUrl, extra) => ({ temporalAddress: server.address, namespace: server.namespace, taskQueue: server.taskQueue, storeUrl, datasetsDir, extra }),
    define: (dataset, source, mode) => writeFileSync(join(datasetsDir, `${dataset}.yaml`), definitionYaml(dataset, source, mode)),
    shareWorkers,
  };
}

/** One measured ingest: client wall time (start → result), the history's timing and the worker's peak RSS. */
export interface IngestRun {
  ms: number;
  status: string;
  rows: number;
  timing: RunTiming;
  peakRssMb: number;
}

/** Starts `ingestDataset` for `dataset` on `source` and returns its handle (not waiting). */
export function startIngest(stack: BenchStack, dataset: string, source: string): Promise<WorkflowHandle> {
  return stack.client.workflow.start("ingestDataset", {
    workflowId: ingestWorkflowId(dataset),
    taskQueue: stack.server.taskQueue,
    args: [{ dataset, source: source.includes("://") ? source : `file://${source}` }],
  });
}

/** Runs one ingest to its end on `worker` (whose peak RSS is reset first). */
export async function ingest(stack: BenchStack, worker: ChildWorker, dataset: string, source: string): Promise<IngestRun> {
  worker.resetPeak();
  const t0 = performance.now();
  const handle = await startIngest(stack, dataset, source);
  const result = (await handle.result()) as IngestResult;
  const ms = Math.round(performance.now() - t0);
  return { ms, status: result.status, rows: result.counts.rowsTotal, timing: await runTiming(handle), peakRssMb: worker.peakRssMb() };
}

/**
 * Runs `fn` with a fresh child worker for `storeUrl`, stopping it afterwards — or, in quick mode,
 * with the kept worker when it serves the same store (all workers poll one task queue, so never two).
 */
export async function withWorker<T>(stack: BenchStack, storeUrl: string, fn: (w: ChildWorker) => Promise<T>, extra?: Record<string, string>): Promise<T> {
  if (stack.shared && stack.shared.storeUrl !== storeUrl) await stopSharedWorker(stack);
  if (stack.shareWorkers) {
    stack.shared ??= { storeUrl, worker: await startWorker(stack.workerEnv(storeUrl, extra)) };
    return fn(stack.shared.worker);
  }
  const worker = await startWorker(stack.workerEnv(storeUrl, extra));
  try {
    return await fn(worker);
  } finally {
    await worker.stop();
  }
}
