import { proxyActivities } from "@temporalio/workflow";
import type { IngestActivities } from "../activities";
import type { GcInput, GcResult } from "../src/maintenance";
import { requireDatasetId } from "./verify";

const sweeper = proxyActivities<IngestActivities>({
  startToCloseTimeout: "2h",
  heartbeatTimeout: "30s",
  retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s", maximumAttempts: 10 },
});

/**
 * Deletes objects under a dataset that no version reachable from the pointer references, never
 * anything younger than `olderThan` (default 1h) and never while an ingest of the dataset runs (SPEC §5).
 */
export async function collectGarbage(input: GcInput): Promise<GcResult> {
  const dataset = requireDatasetId(input?.dataset);
  const dryRun = Boolean(input.dryRun);
  const summary = `${dryRun ? "list" : "delete"} unreferenced objects of ${dataset} older than ${typeof input.olderThan === "number" ? `${input.olderThan} ms` : (input.olderThan ?? "1h")}`;
  return sweeper.sweepGarbage.executeWithOptions({ summary }, [{ dataset, olderThan: input.olderThan, dryRun }]);
}
