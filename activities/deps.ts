import type { Client } from "@temporalio/client";
import type { Engine } from "../src/engine/connection";
import type { TidemarkMetrics } from "../src/observability/metrics";
import type { SourceDeps } from "../src/sources/open";
import type { ObjectStore } from "../src/store/types";

/** Everything activities touch, injected by the worker bootstrap (or a test). */
export interface ActivityDeps {
  store: ObjectStore;
  /** Directory of dataset definitions (`TIDEMARK_DATASETS`). */
  datasetsDir: string;
  sources?: SourceDeps;
  /** A Temporal client, for naming the run that holds a dataset. */
  temporalClient?: () => Client;
  /** HTTP client for webhooks. */
  fetch?: typeof fetch;
  /** Environment for `${VAR}` references in webhook headers. */
  env?: NodeJS.ProcessEnv;
  /**
   * Fault-injection hook for crash and compensation tests: called at named points inside activities
   * (e.g. `publish:before-cas`). Only tests set it; production workers leave it undefined.
   */
  faults?: (point: string) => void | Promise<void>;
  /** The DuckDB engine (default: the process-wide one, configured from the environment). */
  engine?: () => Promise<Engine>;
  /** Prometheus metrics to record outcomes into (workers started with a metrics port). */
  metrics?: TidemarkMetrics;
}
