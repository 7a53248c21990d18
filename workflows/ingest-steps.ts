/**
 * The ingest workflow's steps: its activity proxies and the helpers around its commit point and
 * cleanup. Deterministic workflow code (see workflows/ingest.ts).
 */
import { ActivityCancellationType, ApplicationFailure, CancellationScope, CancelledFailure, log, patched, proxyActivities, proxyLocalActivities, proxySinks, upsertMemo } from "@temporalio/workflow";
import type { IngestActivities } from "../activities";
import type { OutcomeSinks, RunOutcome } from "../src/outcome-sinks";
import type { DatasetDefinition } from "../src/definition";
import type { BaseVersion, ChangeCounts } from "../src/contracts";
import { formatChanges, type IngestMemo } from "../src/run-summary";
import { schemaChanges, schemaConflictMessage } from "../src/definition/compat";
import { PUBLISH_ATTEMPT_MS } from "../src/maintenance";
import { COMMIT_CHECK_PATCH, ENGINE_STEPS_PATCH } from "./ingest-patches";

/** The retry policy of the ingest steps. */
const retry = { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s", maximumAttempts: 20 };

/** Quick steps as ordinary activities. */
export const quick = proxyActivities<IngestActivities>({ startToCloseTimeout: PUBLISH_ATTEMPT_MS, retry });
/** Long steps: heartbeats, waited for when cancelled. */
export const long = proxyActivities<IngestActivities>({
  startToCloseTimeout: "2h",
  heartbeatTimeout: "15s",
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const local = proxyLocalActivities<IngestActivities>({ startToCloseTimeout: "1m", retry });
/** One local attempt, for a check whose failure only means "do it the long way". */
export const localOnce = proxyLocalActivities<IngestActivities>({ startToCloseTimeout: "30s", retry: { maximumAttempts: 1 } });
type QuickStep = "resolveDefinition" | "readBase" | "checkPublished" | "describeHolder";
const { outcomes } = proxySinks<OutcomeSinks>();

/** Counts a run's outcome: through the `outcomes` sink on patched runs, else with the activity the history recorded. */
export async function countOutcome(dataset: string, outcome: Exclude<RunOutcome, "published">): Promise<void> {
  if (patched(ENGINE_STEPS_PATCH)) outcomes.run(dataset, outcome);
  else await quick.recordRunOutcome.executeWithOptions({ summary: `count the ${outcome} outcome` }, [{ dataset, outcome }]);
}

/** A quick step, run locally on patched runs (see {@link ENGINE_STEPS_PATCH}). */
export function quickStep<K extends QuickStep>(name: K, summary: string, args: Parameters<IngestActivities[K]>): ReturnType<IngestActivities[K]> {
  const fn = (patched(ENGINE_STEPS_PATCH) ? local[name] : quick[name]) as unknown as { executeWithOptions(o: { summary: string }, a: unknown[]): ReturnType<IngestActivities[K]> };
  return fn.executeWithOptions({ summary }, args as unknown[]);
}
const localCleanup = proxyLocalActivities<IngestActivities>({ startToCloseTimeout: "2m", retry: { ...retry, maximumAttempts: 3 } });
const cleanup = proxyActivities<IngestActivities>({ startToCloseTimeout: "2m", retry: { ...retry, maximumAttempts: 3 } });
const untilDone = proxyActivities<IngestActivities>({ startToCloseTimeout: "2m", retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s" } });
const untilAnswered = proxyLocalActivities<IngestActivities>({ startToCloseTimeout: "1m", retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s" } });
const notifier = proxyActivities<IngestActivities>({
  startToCloseTimeout: "1m",
  retry: { ...retry, maximumAttempts: 8 },
});

/** Zero change counts. */
export const ZERO: ChangeCounts = { inserted: 0, updated: 0, deleted: 0, unchanged: 0, rowsTotal: 0 };

/** Fails the run when the definition changes the published schema (SPEC §6: a typed, permanent error). */
export function requireSameSchema(dataset: string, definition: DatasetDefinition, base: BaseVersion | null): void {
  if (!base?.schema) return;
  const changes = schemaChanges(definition.schema, base.schema);
  if (changes.length > 0) throw ApplicationFailure.nonRetryable(schemaConflictMessage(dataset, base.version, changes), "SchemaConflictError");
}

type PublishInput = Parameters<IngestActivities["publish"]>[0];
type PublishOutcome = Awaited<ReturnType<IngestActivities["publish"]>>;

/**
 * The commit point: publish runs to completion even when the run is being cancelled (SPEC §3); a
 * cancel requested before it started stops the run instead (its compensations run). A
 * publish call that failed is decided from the store, asked until it answers (patch
 * {@link COMMIT_CHECK_PATCH}): its CAS may have been applied before the failure, and then the version
 * is published (possibly with other versions on top).
 */
export async function commit(commitRules: boolean, summary: string, input: PublishInput, base: string | null): Promise<PublishOutcome> {
  if (commitRules && CancellationScope.current().consideredCancelled) {
    throw new CancelledFailure(`the run was cancelled before its commit; ${input.version} is not published`);
  }
  return CancellationScope.nonCancellable(async () => {
    try {
      return await quick.publish.executeWithOptions({ summary }, [input]);
    } catch (err) {
      if (!commitRules) throw err;
      const { dataset, version } = input;
      const check = `did ${version} land despite the failed publish?`;
      const landed = patched(COMMIT_CHECK_PATCH)
        ? await untilAnswered.checkPublished.executeWithOptions({ summary: check }, [{ dataset, version, base }]).catch(() => false)
        : await quickStep("checkPublished", check, [{ dataset, version, base }]).catch(() => false);
      if (!landed) throw err;
      log.warn("the publish call failed but its CAS was applied; the version is published", { dataset, version, error: String(err) });
      return { status: "published" } as const;
    }
  });
}

/** Cleanup after the commit: retried a few times, then left to gc; it never fails a published run. */
export async function removeScratch(commitRules: boolean, dataset: string, version: string, runVersion: string): Promise<void> {
  const summary = `delete run scratch of ${runVersion}`;
  if (!commitRules) {
    await quick.deleteRunScratch.executeWithOptions({ summary }, [{ dataset, version }]);
    return;
  }
  try {
    const remover = patched(ENGINE_STEPS_PATCH) ? localCleanup : cleanup;
    await remover.deleteRunScratch.executeWithOptions({ summary }, [{ dataset, version: runVersion }]);
  } catch (err) {
    log.warn("run scratch could not be deleted; gc will remove it", { dataset, version, scratch: runVersion, error: String(err) });
    if (patched(ENGINE_STEPS_PATCH)) outcomes.cleanupLeft(dataset, "deleteRunScratch");
    else await cleanup.recordCleanupLeft.executeWithOptions({ summary: `count scratch of ${runVersion} left to gc` }, [{ dataset, version, step: "deleteRunScratch" }]).catch(() => undefined);
  }
}

/**
 * Deletes the inbox fragments a compaction applied: they are in the published version (or changed
 * nothing). Never fails the run: a fragment left behind is listed in the version's manifest, so the
 * next compaction deletes it instead of applying it again.
 */
export async function consumeFragments(dataset: string, fragments: string[], why: string): Promise<void> {
  if (fragments.length === 0) return;
  try {
    await localCleanup.deleteConsumedFragments.executeWithOptions({ summary: `delete ${fragments.length} inbox fragment(s) that ${why}` }, [{ dataset, fragments }]);
  } catch (err) {
    log.warn("consumed inbox fragments could not be deleted; the next compaction deletes them", { dataset, fragments: fragments.length, error: String(err) });
    outcomes.cleanupLeft(dataset, "deleteConsumedFragments");
  }
}

/**
 * Deletes the fragments of a compaction that changed nothing (patch `tidemark-no-change-consume`):
 * not cancellable, retried until the store takes it, so no later version can see them applied again.
 */
export async function deleteUnrecorded(dataset: string, fragments: string[]): Promise<void> {
  if (fragments.length === 0) return;
  await CancellationScope.nonCancellable(() =>
    untilDone.deleteConsumedFragments.executeWithOptions({ summary: `delete ${fragments.length} inbox fragment(s) that changed nothing` }, [{ dataset, fragments }]),
  );
}

/** Records a failed or cancelled run: its memo and its outcome count (never throws). */
export async function recordFailure(dataset: string, memo: IngestMemo): Promise<void> {
  const { inserted, updated, deleted, unchanged } = memo.counts;
  await CancellationScope.nonCancellable(async () => {
    upsertMemo({ ...memo, counts: { inserted, updated, deleted, unchanged } });
    try {
      await countOutcome(dataset, memo.status as "failed" | "cancelled");
    } catch (err) {
      log.warn("could not count the run's outcome", { dataset, outcome: memo.status, error: String(err) });
    }
  });
}

/** Notifies the definition's webhooks of a published version; a failure is logged, the version stays published. */
export async function notify(dataset: string, version: string, parentVersion: string | null, counts: ChangeCounts, definition: DatasetDefinition): Promise<void> {
  try {
    await notifier.notify.executeWithOptions({ summary: `POST ${formatChanges(counts)} of ${version} to ${definition.notify.length} webhook(s)` }, [{ dataset, version, parentVersion, counts, definition }]);
  } catch (err) {
    log.error("notification failed after its retry budget; the version stays published", { dataset, version, error: String(err) });
  }
}
