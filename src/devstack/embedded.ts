import { Client, Connection } from "@temporalio/client";
import { NativeConnection, type LogLevel, type Worker, type WorkflowBundleOption } from "@temporalio/worker";
import { TidemarkError } from "../errors";
import type { LogFormat } from "../observability/logger";
import { startObservability, type Observability } from "../observability/runtime";
import { openStore } from "../store/open";
import type { SourcePolicy } from "../sources/allow";
import { createTidemarkWorker, TASK_QUEUE } from "../worker/worker";
import { freePort, isPortFree } from "./ports";
import { startTemporalDevServer, type TemporalDevServer } from "./temporal-server";
import { ensureTool } from "./tools";

/** A port the embedded stack needs is taken. */
export class PortInUseError extends TidemarkError {}

/** A port: exactly this one, this one if free, or any free one. */
export type PortChoice = number | `prefer-${number}` | "any";

/** Options of {@link startEmbeddedStack}. */
export interface EmbeddedStackOptions {
  /** Temporal frontend port: a number must be free; `"prefer-<n>"` falls back to a free port; `"any"` takes a free one. */
  port: PortChoice;
  /** Web UI port (same rules), or `false` for none. */
  uiPort: PortChoice | false;
  /** SQLite file for Temporal's persistence; in-memory when omitted. */
  dbFilename?: string;
  /** `file://…` or `s3://…`; the worker's store. */
  storeUrl: string;
  /** Definitions directory of the worker. */
  datasetsDir: string;
  taskQueue?: string;
  namespace?: string;
  /** Start a worker in this process (default true). */
  worker?: boolean;
  /** Level of the worker's log lines (default WARN); only applied if nothing installed a Runtime first. */
  logLevel?: LogLevel;
  /** Format of the worker's log lines (default text), written to stderr. */
  logFormat?: LogFormat;
  /** Serve the worker's Prometheus metrics on this port (0: any free one); off when undefined. */
  metricsPort?: number;
  /** Interface of the metrics endpoints (default 127.0.0.1). */
  metricsHost?: string;
  /** Port of the Temporal SDK's metrics endpoint (default: metrics port + 1). */
  sdkMetricsPort?: number;
  /** Progress lines while starting. */
  log?: (line: string) => void;
  /** A pre-built workflow bundle; otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /** What the worker's sources may read (`TIDEMARK_SOURCE_ALLOW` or the closed defaults otherwise). */
  sourcePolicy?: SourcePolicy;
}

/** A running Temporal dev server plus, optionally, an in-process Tidemark worker. */
export interface EmbeddedStack {
  address: string;
  namespace: string;
  uiUrl?: string;
  taskQueue: string;
  storeUrl: string;
  /** Tidemark's `/metrics` URL when metrics are on. */
  metricsUrl?: string;
  /** The Temporal SDK's metrics URL when metrics are on. */
  sdkMetricsUrl?: string;
  /** A client of the embedded server (closed by `stop`). */
  client: Client;
  /** Settles when the worker stops, by `stop` or by a fatal error; resolved at once without a worker. */
  workerDone: Promise<void>;
  /** Stops the worker (letting running tasks finish), then the server. Idempotent. */
  stop(): Promise<void>;
}

async function choosePort(spec: PortChoice, what: string, flag: string): Promise<number> {
  if (spec === "any") return freePort();
  if (typeof spec === "number") {
    if (!(await isPortFree(spec))) {
      throw new PortInUseError(`Port ${spec} for the ${what} is in use (another "tidemark dev" or Temporal server?); stop it or pass ${flag} with a free port.`);
    }
    return spec;
  }
  const preferred = Number(spec.slice("prefer-".length));
  return (await isPortFree(preferred)) ? preferred : freePort();
}

/** Starts the Temporal dev server (with Tidemark's search attributes) and an in-process worker on it. */
export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const log = options.log ?? (() => {});
  const binary = await ensureTool("temporal", { log });
  const port = await choosePort(options.port, "Temporal server", "--port");
  const uiPort = options.uiPort === false ? false : await choosePort(options.uiPort, "Temporal UI", "--ui-port");
  const taskQueue = options.taskQueue ?? TASK_QUEUE;
  log(`starting the Temporal dev server on 127.0.0.1:${port}…`);
  const server: TemporalDevServer = await startTemporalDevServer({
    binary,
    port,
    uiPort,
    dbFilename: options.dbFilename,
    namespace: options.namespace,
    detached: true,
  });
  let client: Client | undefined;
  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let observability: Observability | undefined;
  let workerDone: Promise<void> = Promise.resolve();
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (worker?.getState() === "RUNNING") worker.shutdown();
      await workerDone.catch(() => {});
      await nativeConnection?.close().catch(() => {});
      await client?.connection.close().catch(() => {});
      await observability?.close();
      await server.stop();
    })());
  try {
    client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: server.namespace });
    if (options.worker !== false) {
      observability = await startObservability({
        logFormat: options.logFormat ?? "text",
        logLevel: options.logLevel ?? "WARN",
        metricsPort: options.metricsPort,
        metricsHost: options.metricsHost,
        sdkMetricsPort: options.sdkMetricsPort,
      });
      log(options.workflowBundle ? "starting the worker…" : "starting the worker (bundling workflows)…");
      nativeConnection = await NativeConnection.connect({ address: server.address });
      worker = await createTidemarkWorker({
        connection: nativeConnection,
        namespace: server.namespace,
        store: openStore(options.storeUrl),
        datasetsDir: options.datasetsDir,
        client,
        taskQueue,
        workflowBundle: options.workflowBundle,
        metrics: observability.metrics,
        ...(options.sourcePolicy ? { sources: { policy: options.sourcePolicy } } : {}),
      });
      workerDone = worker.run();
      workerDone.catch(() => {});
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address: server.address,
    namespace: server.namespace,
    uiUrl: server.uiUrl,
    taskQueue,
    storeUrl: options.storeUrl,
    metricsUrl: observability?.metricsUrl,
    sdkMetricsUrl: observability?.sdkMetricsUrl,
    client,
    workerDone,
    stop,
  };
}
