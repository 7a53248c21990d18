import type { ActivityDeps } from "./deps";

/** How an ingest run ended, as counted by `tidemark_runs_total{outcome}`. */
export type RunOutcome = "published" | "unchanged" | "no-changes" | "dry-run" | "failed" | "cancelled";

/** Activities that record a run's outcome where only the workflow knows it. */
export function outcomeActivities(deps: ActivityDeps) {
  return {
    /** Counts one finished run that did not publish (publish counts its own runs at the commit point). */
    async recordRunOutcome({ dataset, outcome }: { dataset: string; outcome: Exclude<RunOutcome, "published"> }): Promise<void> {
      deps.metrics?.runs.inc({ dataset, outcome });
    },
    /** Counts a cleanup after the commit that exhausted its retries; `gc` removes what it left. */
    async recordCleanupLeft({ dataset, step }: { dataset: string; version: string; step: string }): Promise<void> {
      deps.metrics?.cleanupsLeft.inc({ dataset, step });
    },
  };
}
