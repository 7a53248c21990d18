import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  ChildWorkflowCancellationType,
  continueAsNew,
  getExternalWorkflowHandle,
  defineSignal,
  defineQuery,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from "@temporalio/workflow";
import { WorkflowExecutionAlreadyStartedError } from "@temporalio/common";
import type { IngestActivities } from "../activities";
import type { DeltaSummary, NormalizeSummary } from "../activities/prepare";
import type { Written } from "../activities/write";
import type { OutcomeSinks, RunOutcome } from "../src/outcome-sinks";
import type { DatasetDefinition } from "../src/definition";
import type { BaseVersion, ChangeCounts, FetchedSource, IngestInput, IngestProgress, IngestResult, IngestStep } from "../src/contracts";
import { busyMessage, ingestWorkflowId } from "../src/one-writer";
import { DATASET_ID_RE } from "../src/retry";
import { DatasetLayout } from "../src/layout";
import { displayUri, formatBytes, formatChanges, formatCount, ingestMemo, outcomeLine, type IngestMemo } from "../src/run-summary";
import { makeVersionId, planVersion } from "../src/version-id";
import { projectionsDiffer, schemaChanges, schemaConflictMessage } from "../src/definition/compat";
import { Saga } from "./saga";

/** The `progress` query of an ingest run. */
export const progressQuery = defineQuery<IngestProgress>("progress");

/** Asks a push dataset's running compaction for another one after it (SPEC §11; sent by `tidemark serve` with signal-with-start). */
export const compactSignal = defineSignal("compact");

/** Publish attempts before a run gives up re-planning against outside writers. */
export const MAX_PUBLISH_ATTEMPTS = 5;

/**
 * Patch id of the commands added after the first recorded histories: the run's memo and the
 * `recordRunOutcome` activity. Histories without its marker replay without them.
 */
export const RUN_OUTCOME_PATCH = "tidemark-run-memo-and-outcome";

/**
 * Patch id of the commit-outcome rules: a re-plan publishes under a new version id, the schema and
 * projections of the definition are checked against the base, a failed publish call is decided from
 * the store, and cleanup after the commit never fails a published run.
 */
export const COMMIT_OUTCOME_PATCH = "tidemark-commit-outcome";

/**
 * Patch id of the engine's steps: fetch, normalize and delta run as one activity (`prepare`), events
 * and projections as another (`write`), so the data crosses an activity boundary once. The quick
 * reads (definition, pointer, the commit check, the holder's name) and the scratch cleanup after the
 * commit run as local activities, without a round trip through the server each; outcome counters go
 * through the `outcomes` sink instead of an activity; a run with no webhooks skips notify.
 * Compensations stay ordinary activities, so `tidemark cancel` reads them from the history. Histories
 * without its marker replay as they were recorded.
 */
export const ENGINE_STEPS_PATCH = "tidemark-engine-steps";

/**
 * Patch id of the push hand-over: a run refused because its push dataset's compaction is running
 * reads the definition and, for a push dataset, signals that compaction instead of failing.
 */
export const PUSH_HANDOVER_PATCH = "tidemark-push-handover";

/**
 * Patch id of the quick first workflow task: the definition and the pointer are read by two local
 * activities at once, and before `prepare` a third (`sourceUnchanged`) confirms an unchanged source
 * cheaply (a 304 to the recorded ETag, or a same-size file with the recorded hash), so the run ends
 * "unchanged" in its first workflow task. Histories without its marker replay without both.
 */
export const QUICK_UNCHANGED_PATCH = "tidemark-quick-unchanged";

/**
 * Patch id of the no-change compaction's deletion: the fragments of a compaction whose records
 * changed nothing are in no manifest, so the run deletes them with an activity retried until the
 * store takes it, and ends only then. Before it, a deletion given up after 3 attempts (store down)
 * left them unrecorded, and a version from another source published next could be reverted by their
 * second application.
 */
export const NO_CHANGE_CONSUME_PATCH = "tidemark-no-change-consume";

const retry = { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s", maximumAttempts: 20 };

const quick = proxyActivities<IngestActivities>({ startToCloseTimeout: "2m", retry });
const long = proxyActivities<IngestActivities>({
  startToCloseTimeout: "2h",
  heartbeatTimeout: "15s",
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const local = proxyLocalActivities<IngestActivities>({ startToCloseTimeout: "1m", retry });
const localOnce = proxyLocalActivities<IngestActivities>({ startToCloseTimeout: "30s", retry: { maximumAttempts: 1 } });
type QuickStep = "resolveDefinition" | "readBase" | "checkPublished" | "describeHolder";
const { outcomes } = proxySinks<OutcomeSinks>();

/** Counts a run's outcome: through the `outcomes` sink on patched runs, else with the activity the history recorded. */
async function countOutcome(dataset: string, outcome: Exclude<RunOutcome, "published">): Promise<void> {
  if (patched(ENGINE_STEPS_PATCH)) outcomes.run(dataset, outcome);
  else await quick.recordRunOutcome.executeWithOptions({ summary: `count the ${outcome} outcome` }, [{ dataset, outcome }]);
}

/** A quick step, run locally on patched runs (see {@link ENGINE_STEPS_PATCH}). */
function quickStep<K extends QuickStep>(name: K, summary: string, args: Parameters<IngestActivities[K]>): ReturnType<IngestActivities[K]> {
  const fn = (patched(ENGINE_STEPS_PATCH) ? local[name] : quick[name]) as unknown as { executeWithOptions(o: { summary: string }, a: unknown[]): ReturnType<IngestActivities[K]> };
  return fn.executeWithOptions({ summary }, args as unknown[]);
}
const localCleanup = proxyLocalActivities<IngestActivities>({ startToCloseTimeout: "2m", retry: { ...retry, maximumAttempts: 3 } });
const cleanup = proxyActivities<IngestActivities>({ startToCloseTimeout: "2m", retry: { ...retry, maximumAttempts: 3 } });
const untilDone = proxyActivities<IngestActivities>({ startToCloseTimeout: "2m", retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s" } });
const notifier = proxyActivities<IngestActivities>({
  startToCloseTimeout: "1m",
  retry: { ...retry, maximumAttempts: 8 },
});

const ZERO: ChangeCounts = { inserted: 0, updated: 0, deleted: 0, unchanged: 0, rowsTotal: 0 };

/**
 * Ingests one dataset: fetch → normalize → delta → events → consolidate → CAS publish → notify.
 * Only the run whose workflow id is `tidemark/ingest/<dataset>` executes; a run started under any
 * other id (plain `temporal workflow start`, Schedules) delegates to that id, so at most one ingest
 * of a dataset executes at a time. A push dataset's run is one compaction of its inbox (SPEC §11);
 * a `compact` signal received meanwhile continues it as a new run, so each history stays small.
 */
export async function ingestDataset(input: IngestInput): Promise<IngestResult> {
  const compaction: Compaction = { push: false, requested: false };
  setHandler(compactSignal, () => void (compaction.requested = true));
  const result = await ingestRun(input, compaction);
  if (compaction.push && compaction.requested && (result.status === "published" || result.status === "no-changes")) {
    await continueAsNew<typeof ingestDataset>({ dataset: input.dataset, definition: input.definition });
  }
  return result;
}

/** Whether the run compacts a push dataset's inbox, and whether another compaction was asked for meanwhile. */
interface Compaction {
  push: boolean;
  requested: boolean;
}

async function ingestRun(input: IngestInput, compaction: Compaction): Promise<IngestResult> {
  const dataset = input?.dataset;
  if (typeof dataset !== "string" || !DATASET_ID_RE.test(dataset)) {
    throw ApplicationFailure.nonRetryable(
      `Dataset id ${JSON.stringify(dataset)} is invalid: it must be lowercase letters, digits, "_", "." or "-" (e.g. input {"dataset":"cb_series"}).`,
      "InvalidDatasetIdError",
    );
  }
  const info = workflowInfo();
  if (info.workflowId !== ingestWorkflowId(dataset)) return delegate(dataset, input);

  const runVersion = makeVersionId(info.runStartTime, info.runId);
  let version = runVersion;
  upsertSearchAttributes({ TidemarkDataset: [dataset], TidemarkVersion: [version] });
  const reportOutcome = patched(RUN_OUTCOME_PATCH);
  const commitRules = patched(COMMIT_OUTCOME_PATCH);
  const engineSteps = patched(ENGINE_STEPS_PATCH);
  const progress: IngestProgress = { dataset, version, step: "starting", attempt: 0, rows: 0, startedAt: info.runStartTime.toISOString() };
  setHandler(progressQuery, () => progress);
  const step = (name: IngestStep, summary: string): string => {
    progress.step = name;
    setCurrentDetails(`**${name}** · ${summary}`);
    return summary;
  };
  const finish = async (result: IngestResult): Promise<IngestResult> => {
    progress.step = "done";
    setCurrentDetails(outcomeLine(result));
    if (reportOutcome && result.status !== "published") {
      upsertMemo({ ...ingestMemo(result) });
      await countOutcome(dataset, result.status);
    }
    return result;
  };
  const saga = new Saga();
  let published = false;
  let parentVersion: string | null = null;
  try {
    const quickFirst = patched(QUICK_UNCHANGED_PATCH);
    const readDefinition = () => quickStep("resolveDefinition", `definition of ${dataset}`, [{ dataset, definition: input.definition }]);
    const readFirstBase = () => quickStep("readBase", `read the current pointer of ${dataset}`, [{ dataset }]);
    const both = quickFirst ? Promise.all([readDefinition(), readFirstBase()]) : undefined;
    const definition = both ? (await both)[0] : await readDefinition();
    const uri = input.source ?? definition.source.uri;
    const push = uri === `push:${dataset}`;
    compaction.push = push && !input.dryRun;
    let base = both ? (await both)[1] : await readFirstBase();
    const parentAtStart = base?.version ?? null;
    parentVersion = parentAtStart;
    const projectionsChanged = (b: BaseVersion | null) => commitRules && b?.projections !== undefined && projectionsDiffer(definition.projections, b.projections);
    if (commitRules) requireSameSchema(dataset, definition, base);

    const unchangedIf = input.dryRun || projectionsChanged(base) || push ? undefined : base?.sourceSha256;
    const result = (status: IngestResult["status"], counts: ChangeCounts, months: string[], attempts: number): IngestResult => ({
      dataset, status, version, parentVersion: base?.version ?? parentAtStart, counts, months, attempts, workflowId: info.workflowId, runId: info.runId,
    });
    if (unchangedIf !== undefined && base && quickFirst) {
      const same = await localOnce.sourceUnchanged
        .executeWithOptions({ summary: `is ${displayUri(uri)} unchanged?` }, [{ dataset, version: runVersion, uri, unchangedIf, baseManifest: base.manifest }])
        .catch((err: unknown) => {
          if (isCancellation(err)) throw err;
          return null;
        });
      if (same) {
        progress.message = "source unchanged";
        return await finish(result("unchanged", { ...ZERO, unchanged: base.rowsTotal, rowsTotal: base.rowsTotal }, [], 0));
      }
    }
    saga.add("deleteRunScratch", () => quick.deleteRunScratch.executeWithOptions({ summary: `undo: delete run scratch of ${runVersion}` }, [{ dataset, version: runVersion }]));
    const planNext = (attempt: number) => {
      if (!commitRules) return;
      const next = planVersion({ runVersion, runId: info.runId, parent: base?.version ?? null, attempt, now: new Date() });
      if (next !== version) {
        version = next;
        progress.version = version;
        upsertSearchAttributes({ TidemarkVersion: [version] });
      }
    };
    const unchanged = async () => {
      await saga.compensate();
      progress.message = push ? "inbox empty" : "source unchanged";
      const rows = base?.rowsTotal ?? 0;
      return await finish(result("unchanged", { ...ZERO, unchanged: rows, rowsTotal: rows }, [], 0));
    };
    const planned = saga.size;
    let source: FetchedSource;
    let normalized: NormalizeSummary;
    let prepared: DeltaSummary | undefined;
    if (engineSteps) {
      planNext(1);
      const firstVersion = version;
      const firstBase = base?.version ?? null;
      const prepareSummary = step("prepare", `fetch ${displayUri(uri)} → normalize → delta`);
      saga.add("deleteIndex", () => quick.deleteIndex.executeWithOptions({ summary: `undo: delete index of ${firstVersion}` }, [{ dataset, version: firstVersion, base: firstBase }]));
      const out = await long.prepare.executeWithOptions({ summary: prepareSummary }, [{ dataset, version, scratch: runVersion, uri, definition, base, unchangedIf }]);
      source = out.source;
      if (out.status === "unchanged") {
        saga.drop(planned);
        return await unchanged();
      }
      normalized = out.normalized;
      prepared = out.delta;
    } else {
      const fetchSummary = step("fetchSource", `fetch ${displayUri(uri)}`);
      source = await long.fetchSource.executeWithOptions({ summary: fetchSummary }, [{ dataset, version: runVersion, uri, unchangedIf }]);
      if (base && base.sourceSha256 === source.sha256 && unchangedIf !== undefined) return await unchanged();
      const normalizeSummary = step("normalize", `normalize ${formatBytes(source.bytes)} of ${definition.source.format} for ${dataset}`);
      normalized = await long.normalize.executeWithOptions({ summary: normalizeSummary }, [{ dataset, version: runVersion, definition, source }]);
    }
    progress.rows = normalized.rows;

    for (let attempt = 1; ; attempt++) {
      progress.attempt = attempt;
      const planBase = base?.version ?? null;
      const reuse = engineSteps && attempt === 1 ? prepared : undefined;
      if (!reuse) planNext(attempt);
      const plan = { dataset, version, definition, base, scratch: runVersion };
      const again = attempt > 1 ? ` (attempt ${attempt})` : "";
      let delta: DeltaSummary;
      if (reuse) delta = reuse;
      else {
        const deltaSummary = step("computeDelta", `delta of ${formatCount(normalized.rows)} rows of ${dataset} against ${planBase ?? "an empty dataset"}${again}`);
        saga.add("deleteIndex", () => quick.deleteIndex.executeWithOptions({ summary: `undo: delete index of ${plan.version}` }, [{ dataset, version: plan.version, base: planBase }]));
        delta = await long.computeDelta.executeWithOptions({ summary: deltaSummary }, [plan]);
      }
      progress.counts = delta.counts;
      parentVersion = planBase ?? parentAtStart;
      const changed = delta.counts.inserted + delta.counts.updated + delta.counts.deleted > 0 || projectionsChanged(base);
      if (input.dryRun || !changed) {
        await saga.compensate();
        if (push && !input.dryRun) {
          if (patched(NO_CHANGE_CONSUME_PATCH)) await deleteUnrecorded(dataset, source.fragments ?? []);
          else await consumeFragments(dataset, source.fragments ?? [], "changed nothing");
        }
        return await finish({ ...result(input.dryRun ? "dry-run" : "no-changes", delta.counts, delta.months, attempt), quarantined: normalized.quarantined });
      }
      const changes = formatChanges(delta.counts);
      const months = `${delta.months.length} month${delta.months.length === 1 ? "" : "s"}`;

      const deleteEvents = () => quick.deleteEvents.executeWithOptions({ summary: `undo: delete events of ${plan.version}` }, [{ dataset, version: plan.version, base: planBase }]);
      const deleteProjections = () =>
        quick.deleteProjections.executeWithOptions({ summary: `undo: delete projections of ${plan.version}` }, [
          { dataset, version: plan.version, base: planBase, definition, months: delta.months, baseManifest: plan.base?.manifest },
        ]);
      let events: Written["events"];
      let projections: Written["projections"];
      if (engineSteps) {
        const writeSummary = step("write", `write events ${changes} and the projections of ${months} of ${dataset}`);
        saga.add("deleteEvents", deleteEvents);
        saga.add("deleteProjections", deleteProjections);
        ({ events, projections } = await long.write.executeWithOptions({ summary: writeSummary }, [{ ...plan, months: delta.months }]));
      } else {
        const eventsSummary = step("writeEvents", `write events ${changes} in ${months} of ${dataset}`);
        saga.add("deleteEvents", deleteEvents);
        events = await long.writeEvents.executeWithOptions({ summary: eventsSummary }, [{ ...plan, months: delta.months }]);
        const consolidateSummary = step("consolidate", `consolidate ${months} of ${dataset}`);
        saga.add("deleteProjections", deleteProjections);
        projections = await long.consolidate.executeWithOptions({ summary: consolidateSummary }, [{ ...plan, months: delta.months }]);
      }

      const publishSummary = step("publish", `publish ${version}: ${changes}, ${formatCount(delta.counts.rowsTotal)} rows${again}`);
      saga.add("deleteVersionManifest", () => quick.deleteVersionManifest.executeWithOptions({ summary: `undo: delete manifest of ${plan.version}` }, [{ dataset, version: plan.version, base: planBase }]));
      const publishInput = {
        dataset, version, definition, base, source, events, index: delta.index, projections, counts: delta.counts,
        run: { workflow_id: info.workflowId, run_id: info.runId }, createdAt: new Date().toISOString(), quarantined: normalized.quarantined,
      };
      const outcome = await commit(commitRules, publishSummary, publishInput, planBase);
      if (outcome.status === "published") {
        published = true;
        saga.clear();
        const layout = new DatasetLayout(dataset);
        const quarantined = normalized.quarantined && { rows: normalized.quarantined.rows, report: layout.key(layout.quarantine(version)) };
        const done: IngestResult = { ...result("published", delta.counts, delta.months, attempt), quarantined };
        return await CancellationScope.nonCancellable(async () => {
          if (reportOutcome) upsertMemo({ ...ingestMemo(done) });
          await removeScratch(commitRules, dataset, version, runVersion);
          if (push) await consumeFragments(dataset, source.fragments ?? [], `are in ${version}`);
          if (definition.notify.length > 0 || !patched(ENGINE_STEPS_PATCH)) {
            step("notify", `notify ${definition.notify.length} webhook${definition.notify.length === 1 ? "" : "s"} of ${version}`);
            await notify(dataset, version, planBase, delta.counts, definition);
          }
          return await finish(done);
        });
      }
      if (attempt >= MAX_PUBLISH_ATTEMPTS) {
        throw ApplicationFailure.nonRetryable(
          `Dataset ${dataset} changed under this run ${attempt} times (now at ${outcome.currentVersion}); another writer outside Tidemark keeps publishing — stop it, then run the ingest again.`,
          "PublishConflictError",
        );
      }
      log.warn("pointer moved by another writer; re-planning on the new base", { dataset, version, current: outcome.currentVersion });
      step("compensating", `re-plan: ${outcome.currentVersion} was published by another writer`);
      await saga.compensate(planned);
      base = await quickStep("readBase", `re-read the current pointer of ${dataset}`, [{ dataset }]);
      if (commitRules) requireSameSchema(dataset, definition, base);
    }
  } catch (err) {
    const cancelled = isCancellation(err);
    if (!published && saga.size > 0) {
      step("compensating", `undo what ${version} wrote`);
      const ran = await saga.compensate();
      log.info("compensations ran", { dataset, version, compensations: ran, cancelled });
    }
    step("failed", cancelled ? "cancelled" : `failed: ${err instanceof Error ? err.message : String(err)}`);
    if (reportOutcome) await recordFailure(dataset, { status: cancelled ? "cancelled" : "failed", version, parentVersion, counts: progress.counts ?? ZERO, rowsTotal: progress.counts?.rowsTotal ?? 0 });
    throw err;
  }
}

/** Fails the run when the definition changes the published schema (SPEC §6: a typed, permanent error). */
function requireSameSchema(dataset: string, definition: DatasetDefinition, base: BaseVersion | null): void {
  if (!base?.schema) return;
  const changes = schemaChanges(definition.schema, base.schema);
  if (changes.length > 0) throw ApplicationFailure.nonRetryable(schemaConflictMessage(dataset, base.version, changes), "SchemaConflictError");
}

type PublishInput = Parameters<IngestActivities["publish"]>[0];
type PublishOutcome = Awaited<ReturnType<IngestActivities["publish"]>>;

/**
 * The commit point: publish runs to completion even when the run is being cancelled (SPEC §3); a
 * cancel requested before it started stops the run instead (its compensations run). A
 * publish call that failed is decided from the store: its CAS may have been applied before the
 * failure, and then the version is published (possibly with other versions on top).
 */
async function commit(commitRules: boolean, summary: string, input: PublishInput, base: string | null): Promise<PublishOutcome> {
  if (commitRules && CancellationScope.current().consideredCancelled) {
    throw new CancelledFailure(`the run was cancelled before its commit; ${input.version} is not published`);
  }
  return CancellationScope.nonCancellable(async () => {
    try {
      return await quick.publish.executeWithOptions({ summary }, [input]);
    } catch (err) {
      if (!commitRules) throw err;
      const { dataset, version } = input;
      const landed = await quickStep("checkPublished", `did ${version} land despite the failed publish?`, [{ dataset, version, base }]).catch(() => false);
      if (!landed) throw err;
      log.warn("the publish call failed but its CAS was applied; the version is published", { dataset, version, error: String(err) });
      return { status: "published" } as const;
    }
  });
}

/** Cleanup after the commit: retried a few times, then left to gc; it never fails a published run. */
async function removeScratch(commitRules: boolean, dataset: string, version: string, runVersion: string): Promise<void> {
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
async function consumeFragments(dataset: string, fragments: string[], why: string): Promise<void> {
  if (fragments.length === 0) return;
  try {
    await localCleanup.deleteConsumedFragments.executeWithOptions({ summary: `delete ${fragments.length} inbox fragment(s) that ${why}` }, [{ dataset, fragments }]);
  } catch (err) {
    log.warn("consumed inbox fragments could not be deleted; the next compaction deletes them", { dataset, fragments: fragments.length, error: String(err) });
    outcomes.cleanupLeft(dataset, "deleteConsumedFragments");
  }
}

/**
 * Deletes the fragments of a compaction that changed nothing (see {@link NO_CHANGE_CONSUME_PATCH}):
 * not cancellable, retried until the store takes it, so no later version can see them applied again.
 */
async function deleteUnrecorded(dataset: string, fragments: string[]): Promise<void> {
  if (fragments.length === 0) return;
  await CancellationScope.nonCancellable(() =>
    untilDone.deleteConsumedFragments.executeWithOptions({ summary: `delete ${fragments.length} inbox fragment(s) that changed nothing` }, [{ dataset, fragments }]),
  );
}

async function recordFailure(dataset: string, memo: IngestMemo): Promise<void> {
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

async function notify(dataset: string, version: string, parentVersion: string | null, counts: ChangeCounts, definition: DatasetDefinition): Promise<void> {
  try {
    await notifier.notify.executeWithOptions({ summary: `POST ${formatChanges(counts)} of ${version} to ${definition.notify.length} webhook(s)` }, [{ dataset, version, parentVersion, counts, definition }]);
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
      const holder = await quickStep("describeHolder", `name the run that holds ${dataset}`, [{ dataset }]);
      if (holder && input.source === undefined && !input.dryRun && patched(PUSH_HANDOVER_PATCH)) {
        const definition = await quickStep("resolveDefinition", `definition of ${dataset}`, [{ dataset, definition: input.definition }]);
        if (definition.source.push) {
          await getExternalWorkflowHandle(holder.workflowId).signal(compactSignal);
          return { dataset, status: "handed-over", version: "", parentVersion: null, counts: ZERO, months: [], attempts: 0, workflowId: holder.workflowId, runId: holder.runId };
        }
      }
      throw ApplicationFailure.nonRetryable(busyMessage(dataset, holder), "DatasetBusyError");
    }
    if (err instanceof ChildWorkflowFailure && err.cause) throw err.cause;
    throw err;
  }
}
