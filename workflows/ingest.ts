import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  getExternalWorkflowHandle,
  defineSignal,
  defineQuery,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from "@temporalio/workflow";
import type { DeltaSummary, NormalizeSummary } from "../activities/delta-files";
import type { Written } from "../activities/write";
import type { BaseVersion, ChangeCounts, FetchedSource, IngestInput, IngestProgress, IngestResult, IngestStep } from "../src/contracts";
import { busyMessage, ingestWorkflowId } from "../src/one-writer";
import { DATASET_ID_RE } from "../src/retry";
import { DatasetLayout } from "../src/layout";
import { displayUri, formatBytes, formatChanges, formatCount, ingestMemo, outcomeLine } from "../src/run-summary";
import { makeVersionId, planVersion } from "../src/version-id";
import { setAsideNotice } from "../src/intake/set-aside";
import { inPublishedOrder, projectionsDiffer } from "../src/definition/compat";
import { readFingerprint } from "../src/definition/read-fingerprint";
import { delegateTo } from "./delegate";
import { Saga } from "./saga";
import { COMMIT_OUTCOME_PATCH, ENGINE_STEPS_PATCH, NO_CHANGE_CONSUME_PATCH, PUBLISHED_ORDER_PATCH, PUSH_HANDOVER_PATCH, QUICK_UNCHANGED_PATCH, READER_REVISIONS_PATCH, REPLAN_PREPARE_PATCH, RUN_OUTCOME_PATCH } from "./ingest-patches";
import { commit, consumeFragments, countOutcome, deleteUnrecorded, localOnce, long, notify, quick, quickStep, recordFailure, removeScratch, requireSameSchema, ZERO } from "./ingest-steps";

export * from "./ingest-patches";

/** The `progress` query of an ingest run. */
export const progressQuery = defineQuery<IngestProgress>("progress");

/** Asks a push dataset's running compaction for another one after it (SPEC §11; sent by `tidemark serve` with signal-with-start). */
export const compactSignal = defineSignal("compact");

/** Publish attempts before a run gives up re-planning against outside writers. */
export const MAX_PUBLISH_ATTEMPTS = 5;

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
    const resolved = both ? (await both)[0] : await readDefinition();
    const uri = input.source ?? resolved.source.uri;
    const push = uri === `push:${dataset}`;
    compaction.push = push && !input.dryRun;
    let base = both ? (await both)[1] : await readFirstBase();
    const definition = patched(PUBLISHED_ORDER_PATCH) ? inPublishedOrder(resolved, base?.schema) : resolved;
    const parentAtStart = base?.version ?? null;
    parentVersion = parentAtStart;
    const projectionsChanged = (b: BaseVersion | null) => commitRules && b?.projections !== undefined && projectionsDiffer(definition.projections, b.projections);
    const readWith = readFingerprint(definition, { readerRevisions: patched(READER_REVISIONS_PATCH) });
    const readChanged = (b: BaseVersion | null) => b?.readFingerprint !== undefined && b.readFingerprint !== readWith;
    if (commitRules) requireSameSchema(dataset, definition, base);

    const unchangedIf = input.dryRun || projectionsChanged(base) || readChanged(base) || push ? undefined : base?.sourceSha256;
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
        saga.add("deleteIndex", () => quick.deleteIndex.executeWithOptions({ summary: `undo: delete index of ${plan.version}` }, [{ dataset, version: plan.version, base: planBase }]));
        if (engineSteps && patched(REPLAN_PREPARE_PATCH)) {
          const summary = step("prepare", `fetch ${displayUri(uri)} → normalize → delta against ${planBase ?? "an empty dataset"}${again}`);
          const out = await long.prepare.executeWithOptions({ summary }, [{ dataset, version: plan.version, scratch: runVersion, uri, definition, base }]);
          if (out.status !== "planned") throw ApplicationFailure.nonRetryable(`The re-plan of ${dataset} found no source to apply; start the ingest again.`, "ReplanWithoutSource");
          source = out.source;
          normalized = out.normalized;
          progress.rows = normalized.rows;
          delta = out.delta;
        } else {
          const deltaSummary = step("computeDelta", `delta of ${formatCount(normalized.rows)} rows of ${dataset} against ${planBase ?? "an empty dataset"}${again}`);
          delta = await long.computeDelta.executeWithOptions({ summary: deltaSummary }, [plan]);
        }
      }
      progress.counts = delta.counts;
      parentVersion = planBase ?? parentAtStart;
      const changed = delta.counts.inserted + delta.counts.updated + delta.counts.deleted > 0 || projectionsChanged(base) || readChanged(base) || Boolean(source.setAside?.length);
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
        const setAside = source.setAside?.length ? setAsideNotice(source.setAside, layout.key(layout.quarantinedFragments(version))) : undefined;
        if (setAside) log.warn(setAside.message, { dataset, version, fragments: source.setAside!.map((f) => f.fragment) });
        const done: IngestResult = { ...result("published", delta.counts, delta.months, attempt), quarantined, ...(setAside ? { setAside } : {}) };
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

async function delegate(dataset: string, input: IngestInput): Promise<IngestResult> {
  return delegateTo(ingestDataset, ingestWorkflowId(dataset), input, async () => {
    const holder = await quickStep("describeHolder", `name the run that holds ${dataset}`, [{ dataset }]);
    if (holder && input.source === undefined && !input.dryRun && patched(PUSH_HANDOVER_PATCH)) {
      const definition = await quickStep("resolveDefinition", `definition of ${dataset}`, [{ dataset, definition: input.definition }]);
      if (definition.source.push) {
        await getExternalWorkflowHandle(holder.workflowId).signal(compactSignal);
        return { dataset, status: "handed-over", version: "", parentVersion: null, counts: ZERO, months: [], attempts: 0, workflowId: holder.workflowId, runId: holder.runId };
      }
    }
    throw ApplicationFailure.nonRetryable(busyMessage(dataset, holder), "DatasetBusyError");
  });
}
