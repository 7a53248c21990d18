import {
  ActivityCancellationType,
  ApplicationFailure,
  defineQuery,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from "@temporalio/workflow";
import type { IngestActivities } from "../activities";
import type { IngestProgress, IngestStep } from "../src/contracts";
import { DEFAULT_MAX_PARTS, type OptimizeInput, type OptimizeResult } from "../src/manifest/optimize";
import { busyMessage, ingestWorkflowId } from "../src/one-writer";
import { makeVersionId, planVersion } from "../src/version-id";
import { delegateTo } from "./delegate";
import { PUBLISH_ATTEMPT_MS } from "../src/maintenance";
import { maintenanceCommit } from "./maintenance-commit";
import { Saga } from "./saga";
import { requireDatasetId } from "./verify";

/** Publish attempts before optimize gives up re-planning against other writers. */
export const MAX_OPTIMIZE_ATTEMPTS = 5;

/** The `progress` query, answered like an ingest's so `tidemark status` shows the run holding the dataset. */
export const optimizeProgressQuery = defineQuery<IngestProgress>("progress");

const retry = { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s", maximumAttempts: 20 };
const quick = proxyActivities<IngestActivities>({ startToCloseTimeout: PUBLISH_ATTEMPT_MS, retry });
const local = proxyLocalActivities<IngestActivities>({ startToCloseTimeout: "1m", retry });
const long = proxyActivities<IngestActivities>({
  startToCloseTimeout: "2h",
  heartbeatTimeout: "15s",
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * Merges the part files of every projection month that has more than `max_parts` (every multi-part
 * month with `all`) into one file, and publishes that as a new version: no events, zero change
 * counts, the parent's source and index, CAS against the pointer it planned from (SPEC §2). It runs
 * under the dataset's one-writer id `tidemark/ingest/<dataset>` (a run started under another id —
 * a Schedule — delegates to it), so it never runs beside an ingest; a lost CAS re-plans.
 */
export async function optimizeDataset(input: OptimizeInput): Promise<OptimizeResult> {
  const dataset = requireDatasetId(input?.dataset);
  const info = workflowInfo();
  if (info.workflowId !== ingestWorkflowId(dataset)) return delegate(dataset, input);
  if (input.maxParts !== undefined && !(Number.isInteger(input.maxParts) && input.maxParts >= 1)) {
    throw ApplicationFailure.nonRetryable(`maxParts ${JSON.stringify(input.maxParts)} is not a positive integer; pass e.g. {"dataset":"${dataset}","maxParts":16}, or "all": true.`, "InvalidOptimizeInputError");
  }
  upsertSearchAttributes({ TidemarkDataset: [dataset] });
  const progress: IngestProgress = { dataset, version: "", step: "starting", attempt: 0, rows: 0, startedAt: info.runStartTime.toISOString(), message: "optimize" };
  setHandler(optimizeProgressQuery, () => progress);
  const step = (name: IngestStep, message: string) => {
    progress.step = name;
    progress.message = `optimize: ${message}`;
  };
  const maxParts = input.all ? 1 : (input.maxParts ?? (await local.resolveDefinition.executeWithOptions({ summary: `definition of ${dataset}` }, [{ dataset }])).max_parts ?? DEFAULT_MAX_PARTS);
  const runVersion = makeVersionId(info.runStartTime, info.runId);
  const saga = new Saga();
  let base = await local.readBase.executeWithOptions({ summary: `read the current pointer of ${dataset}` }, [{ dataset }]);
  const nothing = (attempts: number): OptimizeResult => ({ dataset, status: "nothing", version: null, parentVersion: base?.version ?? null, merged: [], partsBefore: 0, attempts });
  if (!base) return nothing(0);
  try {
    for (let attempt = 1; ; attempt++) {
      const planned: NonNullable<typeof base> = base;
      const version = planVersion({ runVersion, runId: info.runId, parent: planned.version, attempt, now: new Date() });
      upsertSearchAttributes({ TidemarkVersion: [version] });
      Object.assign(progress, { version, attempt });
      step("write", "merging the parts of crowded months");
      saga.add("deleteMergedParts", () => quick.deleteMergedParts.executeWithOptions({ summary: `undo: delete merged parts of ${version}` }, [{ dataset, version, base: planned.version }]));
      const { merged, partsBefore } = await long.mergeParts.executeWithOptions({ summary: `merge the parts of crowded months of ${dataset} as ${version}` }, [
        { dataset, version, base: planned, all: input.all, maxParts },
      ]);
      const months = Object.entries(merged).flatMap(([name, m]) => Object.keys(m).map((month) => `${name}/${month}`));
      if (months.length === 0) {
        await saga.compensate();
        step("done", "no month has too many parts");
        return nothing(attempt);
      }
      step("publish", `publishing ${months.length} merged months`);
      saga.add("deleteVersionManifest", () => quick.deleteVersionManifest.executeWithOptions({ summary: `undo: delete manifest of ${version}` }, [{ dataset, version, base: planned.version }]));
      const publishInput = { dataset, version, base: planned, merged, run: { workflow_id: info.workflowId, run_id: info.runId }, createdAt: new Date().toISOString() };
      const outcome = await maintenanceCommit(
        () => quick.publishOptimized.executeWithOptions({ summary: `publish ${version}: ${months.length} months merged from ${partsBefore} parts` }, [publishInput]),
        { dataset, version, base: planned.version },
      );
      if (outcome.status === "published") {
        saga.clear();
        step("done", `published ${version}`);
        return { dataset, status: "published", version, parentVersion: planned.version, merged: months, partsBefore, attempts: attempt };
      }
      await saga.compensate();
      if (attempt >= MAX_OPTIMIZE_ATTEMPTS) {
        throw ApplicationFailure.nonRetryable(
          `Dataset ${dataset} changed under optimize ${attempt} times (now at ${outcome.currentVersion}); another writer outside Tidemark keeps publishing — stop it, then run optimize again.`,
          "PublishConflictError",
        );
      }
      log.warn("pointer moved by another writer; optimize re-plans on the new base", { dataset, version, current: outcome.currentVersion });
      base = await local.readBase.executeWithOptions({ summary: `re-read the current pointer of ${dataset}` }, [{ dataset }]);
      if (!base) return nothing(attempt);
    }
  } catch (err) {
    step("compensating", "undoing the merged parts");
    const ran = await saga.compensate();
    step("failed", isCancellation(err) ? "cancelled" : "failed");
    log.info("optimize compensations ran", { dataset, compensations: ran, cancelled: isCancellation(err) });
    throw err;
  }
}

async function delegate(dataset: string, input: OptimizeInput): Promise<OptimizeResult> {
  return delegateTo(optimizeDataset, ingestWorkflowId(dataset), input, async () => {
    const holder = await local.describeHolder.executeWithOptions({ summary: `name the run that holds ${dataset}` }, [{ dataset }]);
    throw ApplicationFailure.nonRetryable(busyMessage(dataset, holder), "DatasetBusyError");
  });
}
