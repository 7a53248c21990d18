import type { ActivityDeps } from "./deps";

import type { RunOutcome } from "../src/outcome-sinks";

export type { RunOutcome };

/** Activities that record a run's outcome where only the workflow knows it (runs recorded before the `outcomes` sink; newer runs call the sink). */
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
