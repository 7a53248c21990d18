import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Bucket bounds (seconds) of `tidemark_step_duration_seconds`: sub-second lookups up to hour-long rebuilds. */
export const STEP_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600];

/**
 * Tidemark's own Prometheus metrics, in a registry of their own (plus Node.js process metrics
 * prefixed `tidemark_`). Activities record into it through `ActivityDeps.metrics`.
 */
export class TidemarkMetrics {
  readonly registry = new Registry();
  /** Finished ingest runs by outcome (`published`, `unchanged`, `no-changes`, `dry-run`, `failed`, `cancelled`). */
  readonly runs: Counter<"dataset" | "outcome">;
  /** Rows changed by published versions, by `op` (`insert`, `update`, `delete`). */
  readonly rows: Counter<"dataset" | "op">;
  /** Bytes of Parquet files (events, index, projections) that published versions added. */
  readonly bytesWritten: Counter<"dataset">;
  /** Publishes that lost the pointer CAS to another writer. */
  readonly casConflicts: Counter<"dataset">;
  /** Compensation activities that ran, by `step` (the compensation's name). */
  readonly compensations: Counter<"dataset" | "step">;
  /** Cleanups after a commit that exhausted their retries and were left to `gc`, by `step`. */
  readonly cleanupsLeft: Counter<"dataset" | "step">;
  /** Payments running past `stuck_after` at the last `detectStuckPayments` run. */
  readonly paymentsStuck: Gauge;
  /** Problems found by `verify`. */
  readonly verifyFindings: Counter<"dataset">;
  /** Webhook notification attempts that failed. */
  readonly notifyFailures: Counter<"dataset">;
  /** Activity attempts that threw, by `step` (the activity's name). */
  readonly stepFailures: Counter<"step">;
  /** Duration of each activity attempt, by `step` (the activity's name). */
  readonly stepDuration: Histogram<"step">;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.runs = new Counter({ name: "tidemark_runs_total", help: "Ingest runs finished, by outcome", labelNames: ["dataset", "outcome"], registers });
    this.rows = new Counter({ name: "tidemark_rows_total", help: "Rows changed by published versions, by operation", labelNames: ["dataset", "op"], registers });
    this.bytesWritten = new Counter({ name: "tidemark_bytes_written_total", help: "Bytes of Parquet files added by published versions", labelNames: ["dataset"], registers });
    this.casConflicts = new Counter({ name: "tidemark_cas_conflicts_total", help: "Publishes that lost the pointer compare-and-swap", labelNames: ["dataset"], registers });
    this.compensations = new Counter({ name: "tidemark_compensations_total", help: "Saga compensations run, by compensation", labelNames: ["dataset", "step"], registers });
    this.cleanupsLeft = new Counter({ name: "tidemark_cleanups_left_total", help: "Cleanups after a commit that failed and were left to gc", labelNames: ["dataset", "step"], registers });
    this.paymentsStuck = new Gauge({ name: "tidemark_payments_stuck", help: "Payments running past stuck_after at the last detectStuckPayments run", registers });
    this.verifyFindings = new Counter({ name: "tidemark_verify_findings_total", help: "Problems found by verify", labelNames: ["dataset"], registers });
    this.notifyFailures = new Counter({ name: "tidemark_notify_failures_total", help: "Failed webhook notification attempts", labelNames: ["dataset"], registers });
    this.stepFailures = new Counter({ name: "tidemark_step_failures_total", help: "Activity attempts that failed, by activity", labelNames: ["step"], registers });
    this.stepDuration = new Histogram({
      name: "tidemark_step_duration_seconds",
      help: "Duration of activity attempts, by activity",
      labelNames: ["step"],
      buckets: STEP_DURATION_BUCKETS,
      registers,
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "tidemark_" });
  }

  /** The exposition text of every metric. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** A running `/metrics` HTTP endpoint. */
export interface MetricsServer {
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Serves `metrics` as Prometheus text on `http://host:port/metrics` (port 0 picks a free one). */
export async function serveMetrics(metrics: TidemarkMetrics, options: { port: number; host: string }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (req.method !== "GET" || (path !== "/metrics" && path !== "/")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found; metrics are at /metrics\n");
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${(err as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    host: options.host,
    port,
    url: `http://${hostForUrl}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
