import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Runtime, type Worker } from "@temporalio/worker";
import { randomUUID } from "node:crypto";
import type { TidemarkMetrics } from "../../src/observability/metrics";
import { createTidemarkWorker } from "../../src/worker/worker";
import type { ObjectStore } from "../../src/store/types";
import type { SourceDeps } from "../../src/sources/open";
import { makeS3Client, services } from "./services";
import { testSourcePolicy } from "./source-allow";

let runtimeQuieted = false;

/** Keeps the SDK's own logging to warnings, so test output stays readable. */
function quietRuntime(): void {
  if (runtimeQuieted) return;
  runtimeQuieted = true;
  try {
    Runtime.install({ logger: { trace() {}, debug() {}, info() {}, log() {}, warn: console.warn, error: console.error } as never });
  } catch {
    /* already installed by another helper in this process */
  }
}

/** A task queue no other test file uses, so parallel files never run each other's tasks. */
export function uniqueTaskQueue(label: string): string {
  return `tidemark-test-${label}-${randomUUID().slice(0, 8)}`;
}

/** A client of the test dev server (its default namespace unless `namespace` is given). */
export async function testClient(namespace?: string): Promise<Client> {
  const { temporal } = services();
  const connection = await Connection.connect({ address: temporal.address });
  return new Client({ connection, namespace: namespace ?? temporal.namespace });
}

/** Options of `startTestWorker`. */
export interface TestWorkerOptions {
  store: ObjectStore;
  datasetsDir: string;
  taskQueue: string;
  client?: Client;
  faults?: (point: string) => void | Promise<void>;
  namespace?: string;
  /** Source access; defaults to MinIO for `s3://` sources. */
  sources?: SourceDeps;
  /** Tidemark metrics for the activities to record into. */
  metrics?: TidemarkMetrics;
}

/** A running worker and how to stop it. */
export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

/** Starts a real worker (pre-built workflow bundle) against the test dev server. */
export async function startTestWorker(options: TestWorkerOptions): Promise<RunningWorker> {
  quietRuntime();
  const { temporal, workflowBundlePath } = services();
  const connection = await NativeConnection.connect({ address: temporal.address });
  const worker = await createTidemarkWorker({
    connection,
    namespace: options.namespace ?? temporal.namespace,
    store: options.store,
    datasetsDir: options.datasetsDir,
    taskQueue: options.taskQueue,
    client: options.client,
    faults: options.faults,
    metrics: options.metrics,
    sources: { policy: testSourcePolicy(), ...(options.sources ?? { s3Client: makeS3Client }) },
    workflowBundle: { codePath: workflowBundlePath },
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === "RUNNING") worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
