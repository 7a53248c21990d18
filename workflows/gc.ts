import { ActivityCancellationType, patched, proxyActivities } from "@temporalio/workflow";
import type { IngestActivities } from "../activities";
import type { GcInput, GcResult } from "../src/maintenance";
import { requireDatasetId } from "./verify";

/**
 * Runs started after it wait, when cancelled, until the sweep has stopped (it stops before its next
 * delete): a cancelled gc run ends only once nothing more is deleted.
 */
export const GC_WAITS_FOR_SWEEP_PATCH = "tidemark-gc-waits-for-sweep";

const options = {
  startToCloseTimeout: "2h",
  heartbeatTimeout: "30s",
  retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s", maximumAttempts: 10 },
} as const;
const sweeper = proxyActivities<IngestActivities>(options);
const waitedSweeper = proxyActivities<IngestActivities>({ ...options, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });

/**
 * Deletes objects under a dataset that no version reachable from the pointer references, never
 * anything younger than `olderThan` (default 1h) and never while an ingest of the dataset runs (SPEC §5).
 */
export async function collectGarbage(input: GcInput): Promise<GcResult> {
  const dataset = requireDatasetId(input?.dataset);
  const dryRun = Boolean(input.dryRun);
  const summary = `${dryRun ? "list" : "delete"} unreferenced objects of ${dataset} older than ${typeof input.olderThan === "number" ? `${input.olderThan} ms` : (input.olderThan ?? "1h")}`;
  const sweep = patched(GC_WAITS_FOR_SWEEP_PATCH) ? waitedSweeper : sweeper;
  return sweep.sweepGarbage.executeWithOptions({ summary }, [{ dataset, olderThan: input.olderThan, dryRun }]);
}
