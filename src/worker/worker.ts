import type { Client } from "@temporalio/client";
import { RetryabilityInterceptor } from "./retryability";
import { type InjectedSinks, NativeConnection, Worker, type WorkflowBundleOption } from "@temporalio/worker";
import type { OutcomeSinks } from "../outcome-sinks";
import { createActivities } from "../../activities";
import type { S3Client } from "@aws-sdk/client-s3";
import type { TidemarkMetrics } from "../observability/metrics";
import { sourcePolicyFromEnv } from "../sources/allow";
import { engineSettingsFromEnv } from "../engine/settings";
import { ingestLimitsFromEnv, sourceLimitsFromEnv } from "../sources/limits";
import type { SourceDeps } from "../sources/open";
import { defaultS3Client } from "../store/open";
import type { ObjectStore } from "../store/types";
import { workflowsPath } from "./workflows-path";

/** An S3 client for `s3://` sources, created on first use from the AWS SDK default chain. */
function lazyDefaultS3Client(): () => S3Client {
  let client: S3Client | undefined;
  return () => (client ??= defaultS3Client());
}

/** The task queue every Tidemark workflow and activity runs on. */
export const TASK_QUEUE = "tidemark";

/** What a worker needs. Only this bootstrap creates store and S3 clients for activities. */
export interface TidemarkWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  store: ObjectStore;
  datasetsDir: string;
  client?: Client;
  sources?: SourceDeps;
  taskQueue?: string;
  /** A pre-built workflow bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /** Fault-injection hook (tests only). */
  faults?: (point: string) => void | Promise<void>;
  /** Maximum concurrently executing activities. */
  maxConcurrentActivityTaskExecutions?: number;
  /** Tidemark's Prometheus metrics, recorded by the activities (see `startObservability`). */
  metrics?: TidemarkMetrics;
  /**
   * Workflows kept in this worker's cache (SDK default otherwise). 0 turns off sticky execution, so a
   * killed worker never holds a workflow's next task until the sticky timeout (crash tests).
   */
  maxCachedWorkflows?: number;
}

/** The `outcomes` sink of the workflows, applied to the worker's metrics (never during replay). */
function outcomeSinks(metrics?: TidemarkMetrics): InjectedSinks<OutcomeSinks> {
  return {
    outcomes: {
      run: { fn: (_info, dataset, outcome) => metrics?.runs.inc({ dataset, outcome }), callDuringReplay: false },
      cleanupLeft: { fn: (_info, dataset, step) => metrics?.cleanupsLeft.inc({ dataset, step }), callDuringReplay: false },
    },
  };
}

/**
 * Creates a worker that runs all Tidemark workflows and activities. The worker's settings from its
 * environment (source limits, engine memory and threads) are checked first: a bad value stops it
 * with one sentence naming the variable, instead of failing every run's attempts on it.
 */
export async function createTidemarkWorker(options: TidemarkWorkerOptions): Promise<Worker> {
  ingestLimitsFromEnv();
  engineSettingsFromEnv();
  const activities = createActivities({
    store: options.store,
    datasetsDir: options.datasetsDir,
    sources: {
      ...sourceLimitsFromEnv(),
      ...options.sources,
      policy: options.sources?.policy ?? sourcePolicyFromEnv(process.env, { datasetsDir: options.datasetsDir, storeUrl: options.store.url }),
      s3Client: options.sources?.s3Client ?? lazyDefaultS3Client(),
    },
    temporalClient: options.client ? () => options.client! : undefined,
    faults: options.faults,
    metrics: options.metrics,
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: workflowsPath() }),
    activities,
    interceptors: { activity: [() => ({ inbound: new RetryabilityInterceptor() })] },
    sinks: outcomeSinks(options.metrics),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 4,
    // Heartbeat details reach the server within 0.2 s, so a retry after a crash resumes from recent progress.
    maxHeartbeatThrottleInterval: "200ms",
    ...(options.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: options.maxCachedWorkflows }),
  });
}
