import { CancellationScope, log, patched, proxyActivities } from "@temporalio/workflow";
import type { IngestActivities } from "../activities";
import type { PublishOutcome } from "../activities/commit";
import { COMMIT_CHECK_PATCH } from "./ingest-patches";

/**
 * Patch id of the commit outcome of optimize and repair: a publish call that failed is decided from
 * the store, as an ingest's is. Histories without its marker replay as they were recorded (the
 * failure compensated and raised).
 */
export const MAINTENANCE_COMMIT_PATCH = "tidemark-maintenance-commit-outcome";

const checker = proxyActivities<IngestActivities>({
  startToCloseTimeout: "2m",
  retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s", maximumAttempts: 20 },
});
const untilAnswered = proxyActivities<IngestActivities>({
  startToCloseTimeout: "2m",
  retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s" },
});

/** The version a maintenance run (optimize, repair) publishes, and the version its plan built on. */
export interface MaintenanceCommit {
  dataset: string;
  version: string;
  base: string;
}

/**
 * Runs the publish call of an optimize or repair version to completion, even when the run is being
 * cancelled. A call that failed (its answer lost after the CAS was applied, the retries spent) is
 * decided from the store, asked until it answers (patch {@link COMMIT_CHECK_PATCH}): when the
 * version is on the chain from the pointer back to `base`, it is published, and the run must not
 * compensate or fail; otherwise the failure is raised.
 */
export function maintenanceCommit(publish: () => Promise<PublishOutcome>, { dataset, version, base }: MaintenanceCommit): Promise<PublishOutcome> {
  return CancellationScope.nonCancellable(async () => {
    try {
      return await publish();
    } catch (err) {
      if (!patched(MAINTENANCE_COMMIT_PATCH)) throw err;
      const landed = await (patched(COMMIT_CHECK_PATCH) ? untilAnswered : checker).checkPublished
        .executeWithOptions({ summary: `did ${version} land despite the failed publish?` }, [{ dataset, version, base }])
        .catch(() => false);
      if (!landed) throw err;
      log.warn("the publish call failed but its CAS was applied; the version is published", { dataset, version, error: String(err) });
      return { status: "published" } as const;
    }
  });
}
