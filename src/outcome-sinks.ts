import type { Sinks } from "@temporalio/workflow";

/** How an ingest run ended, as counted by `tidemark_runs_total{outcome}`. */
export type RunOutcome = "published" | "unchanged" | "no-changes" | "dry-run" | "handed-over" | "failed" | "cancelled";

/**
 * Counters a workflow records without an activity (SPEC §3 step outcomes): a Temporal sink, called
 * once per run (never during replay) and applied by the worker to its metrics.
 */
export interface OutcomeSinks extends Sinks {
  outcomes: {
    /** One finished run that did not publish (publish counts its own runs at the commit point). */
    run(dataset: string, outcome: Exclude<RunOutcome, "published">): void;
    /** A cleanup after the commit that exhausted its retries; `gc` removes what it left. */
    cleanupLeft(dataset: string, step: string): void;
  };
}
