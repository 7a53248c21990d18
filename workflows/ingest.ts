import {
  ActivityCancellationType,
  ApplicationFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  ChildWorkflowCancellationType,
  defineQuery,
  executeChild,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from "@temporalio/workflow";
import { WorkflowExecutionAlreadyStartedError } from "@temporalio/common";
import type { IngestActivities } from "../activities";
import type { DatasetDefinition } from "../src/definition";
import type { ChangeCounts, IngestInput, IngestProgress, IngestResult } from "../src/contracts";
import { busyMessage, ingestWorkflowId } from "../src/one-writer";
import { DATASET_ID_RE, NON_RETRYABLE_ERROR_TYPES } from "../src/retry";
import { DatasetLayout } from "../src/layout";
import { makeVersionId } from "../src/version-id";
import { Saga } from "./saga";

/** The `progress` query of an ingest run. */
export const progressQuery = defineQuery<IngestProgress>("progress");

/** Publish attempts before a run gives up re-planning against outside writers. */
export const MAX_PUBLISH_ATTEMPTS = 5;

const retry = { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s", maximumAttempts: 20, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] };

const quick = proxyActivities<IngestActivities>({ startToCloseTimeout: "2m", retry });
const long = proxyActivities<IngestActivities>({
  startToCloseTimeout: "2h",
  heartbeatTimeout: "15s",
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const notifier = proxyActivities<IngestActivities>({
  startToCloseTimeout: "1m",
  retry: { ...retry, maximumAttempts: 8, nonRetryableErrorTypes: [] },
});

const ZERO: ChangeCounts = { inserted: 0, updated: 0, deleted: 0, unchanged: 0, rowsTotal: 0 };

/**
 * Ingests one dataset: fetch → normalize → delta → events → consolidate → CAS publish → notify.
 * Only the run whose workflow id is `tidemark/ingest/<dataset>` executes; a run started under any
 * other id (plain `temporal workflow start`, Schedules) delegates to that id, so at most one ingest
 * of a dataset executes at a time.
 */
export async function ingestDataset(input: IngestInput): Promise<IngestResult> {
  const dataset = input?.dataset;
  if (typeof dataset !== "string" || !DATASET_ID_RE.test(dataset)) {
    throw ApplicationFailure.nonRetryable(
      `Dataset id ${JSON.stringify(dataset)} is invalid: it must be lowercase letters, digits, "_", "." or "-" (e.g. input {"dataset":"cb_series"}).`,
      "InvalidDatasetIdError",
    );
  }
  const info = workflowInfo();
  if (info.workflowId !== ingestWorkflowId(dataset)) return delegate(dataset, input);

  const version = makeVersionId(info.runStartTime, info.runId);
  upsertSearchAttributes({ TidemarkDataset: [dataset], TidemarkVersion: [version] });
  const progress: IngestProgress = { dataset, version, step: "starting", attempt: 0, rows: 0, startedAt: info.runStartTime.toISOString() };
  setHandler(progressQuery, () => progress);
  const saga = new Saga();
  let published = false;
  try {
    const definition = await quick.resolveDefinition({ dataset, definition: input.definition });
    const uri = input.source ?? definition.source.uri;
    let base = await quick.readBase({ dataset });
    const parentAtStart = base?.version ?? null;

    progress.step = "fetchSource";
    saga.add("deleteRunScratch", () => quick.deleteRunScratch({ dataset, version }));
    const source = await long.fetchSource({ dataset, version, uri });
    const result = (status: IngestResult["status"], counts: ChangeCounts, months: string[], attempts: number): IngestResult => ({
      dataset, status, version, parentVersion: base?.version ?? parentAtStart, counts, months, attempts, workflowId: info.workflowId, runId: info.runId,
    });
    if (base && base.sourceSha256 === source.sha256 && !input.dryRun) {
      await saga.compensate();
      progress.step = "done";
      progress.message = "source unchanged";
      return result("unchanged", { ...ZERO, unchanged: base.rowsTotal, rowsTotal: base.rowsTotal }, [], 0);
    }

    progress.step = "normalize";
    const normalized = await long.normalize({ dataset, version, definition, source });
    progress.rows = normalized.rows;
    const planned = saga.size;

    for (let attempt = 1; ; attempt++) {
      progress.attempt = attempt;
      progress.step = "computeDelta";
      saga.add("deleteIndex", () => quick.deleteIndex({ dataset, version }));
      const delta = await long.computeDelta({ dataset, version, definition, base });
      progress.counts = delta.counts;
      const changed = delta.counts.inserted + delta.counts.updated + delta.counts.deleted > 0;
      if (input.dryRun || !changed) {
        await saga.compensate();
        progress.step = "done";
        return { ...result(input.dryRun ? "dry-run" : "no-changes", delta.counts, delta.months, attempt), quarantined: normalized.quarantined };
      }

      progress.step = "writeEvents";
      saga.add("deleteEvents", () => quick.deleteEvents({ dataset, version }));
      const events = await long.writeEvents({ dataset, version, definition, base, months: delta.months });

      progress.step = "consolidate";
      saga.add("deleteProjections", () => quick.deleteProjections({ dataset, version, definition, months: delta.months }));
      const projections = await long.consolidate({ dataset, version, definition, base, months: delta.months });

      progress.step = "publish";
      saga.add("deleteVersionManifest", () => quick.deleteVersionManifest({ dataset, version }));
      const outcome = await quick.publish({
        dataset, version, definition, base, source, events, index: delta.index, projections, counts: delta.counts,
        run: { workflow_id: info.workflowId, run_id: info.runId }, createdAt: new Date().toISOString(), quarantined: normalized.quarantined,
      });
      if (outcome.status === "published") {
        published = true;
        saga.clear();
        await quick.deleteRunScratch({ dataset, version });
        progress.step = "notify";
        await notify(dataset, version, base?.version ?? null, delta.counts, definition);
        progress.step = "done";
        const layout = new DatasetLayout(dataset);
        const quarantined = normalized.quarantined && { rows: normalized.quarantined.rows, report: layout.key(layout.quarantine(version)) };
        return { ...result("published", delta.counts, delta.months, attempt), quarantined };
      }
      if (attempt >= MAX_PUBLISH_ATTEMPTS) {
        throw ApplicationFailure.nonRetryable(
          `Dataset ${dataset} changed under this run ${attempt} times (now at ${outcome.currentVersion}); another writer outside Tidemark keeps publishing — stop it, then run the ingest again.`,
          "PublishConflictError",
        );
      }
      log.warn("pointer moved by another writer; re-planning on the new base", { dataset, version, current: outcome.currentVersion });
      progress.step = "compensating";
      await saga.compensate(planned);
      base = await quick.readBase({ dataset });
    }
  } catch (err) {
    if (!published && saga.size > 0) {
      progress.step = "compensating";
      const ran = await saga.compensate();
      log.info("compensations ran", { dataset, version, compensations: ran, cancelled: isCancellation(err) });
    }
    progress.step = "failed";
    throw err;
  }
}

async function notify(dataset: string, version: string, parentVersion: string | null, counts: ChangeCounts, definition: DatasetDefinition): Promise<void> {
  try {
    await notifier.notify({ dataset, version, parentVersion, counts, definition });
  } catch (err) {
    log.error("notification failed after its retry budget; the version stays published", { dataset, version, error: String(err) });
  }
}

async function delegate(dataset: string, input: IngestInput): Promise<IngestResult> {
  try {
    return await executeChild(ingestDataset, {
      workflowId: ingestWorkflowId(dataset),
      args: [input],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      const holder = await quick.describeHolder({ dataset });
      throw ApplicationFailure.nonRetryable(busyMessage(dataset, holder), "DatasetBusyError");
    }
    if (err instanceof ChildWorkflowFailure && err.cause) throw err.cause;
    throw err;
  }
}
