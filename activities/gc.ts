import { randomUUID } from "node:crypto";
import { TidemarkError } from "../src/errors";
import { DatasetLayout } from "../src/layout";
import { projectionPaths } from "../src/manifest/month-files";
import { emptyGcResult, ENDED_WRITER_WINDOW_MS, GC_KEYS_CAP, gcCutoff, parseAge, publishInFlight, publishMayStillLand, tooYoungForGc, verifyWorkflowId, type ActivityEvent, type GcInput, type GcResult } from "../src/maintenance";
import { busyMessage, ingestWorkflowId } from "../src/one-writer";
import type { ObjectStore } from "../src/store/types";
import { walkChain } from "./chain";
import type { ActivityDeps } from "./deps";
import { withKeepAlive } from "./heartbeat";

/** gc refused because an ingest of the dataset is running. */
export class IngestRunningError extends TidemarkError {}

/** gc refused because a verify of the dataset, which may publish a repair, is running. */
export class VerifyRunningError extends TidemarkError {}

/** gc refused because a run of the dataset's writer was ended from outside while a publish attempt of it may still land. */
export class PublishMayLandError extends TidemarkError {}

/** gc refused because it cannot tell what is referenced (broken chain, missing pointer). */
export class GcUnsafeError extends TidemarkError {}

/** gc was given an age it cannot parse. */
export class InvalidGcAgeError extends TidemarkError {}

/**
 * Every object key (relative to the dataset root) a version reachable from the pointer references
 * (its set-aside fragments' copies too), plus the pointer; and the inbox fragments those versions consumed (SPEC §11).
 */
async function referencedKeys(deps: ActivityDeps, dataset: string): Promise<{ refs: Set<string>; consumed: Set<string> }> {
  const layout = new DatasetLayout(dataset);
  const chain = await walkChain(deps.store, dataset);
  const broken = chain.findings.find((f) => f.check === "chain" || f.check === "manifest");
  if (broken || (chain.pointer && !chain.complete)) {
    throw new GcUnsafeError(`gc refuses to run on ${dataset} because its version chain is damaged (${broken?.problem ?? chain.findings[0]?.problem}); run "tidemark verify ${dataset}" first.`);
  }
  const refs = new Set<string>([layout.pointer()]);
  for (const m of chain.manifests) {
    refs.add(layout.versionManifest(m.version));
    for (const e of m.events) refs.add(e.path);
    for (const i of m.index) refs.add(i.path);
    for (const path of projectionPaths(m.projections)) refs.add(path);
    if (m.quarantine) refs.add(m.quarantine.path);
    for (const f of m.source.set_aside ?? []) refs.add(layout.setAsideCopy(f));
  }
  const consumed = new Set(chain.manifests.flatMap((m) => (m.source.fragments ?? []).map((id) => layout.inboxFragment(id))));
  return { refs, consumed };
}

/** Whether `path` is an inbox fragment no version consumed: acknowledged records, never garbage whatever their age. */
function pendingFragment(path: string, inbox: string, consumed: Set<string>): boolean {
  return path.startsWith(inbox) && !consumed.has(path);
}

/** The activity events of run `runId` of `workflowId`, reduced to what {@link publishInFlight} reads. */
async function activityEvents(deps: ActivityDeps, workflowId: string, runId: string): Promise<ActivityEvent[]> {
  const history = await deps.temporalClient!().workflow.getHandle(workflowId, runId).fetchHistory();
  return (history.events ?? []).flatMap((e): ActivityEvent[] => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) return [{ scheduled: { id: String(e.eventId), type: scheduled.activityType?.name ?? "" } }];
    const closed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    return closed ? [{ closed: String(closed.scheduledEventId) }] : [];
  });
}

/**
 * The latest run of `workflowId` while it is running; else any run of it terminated or timed out
 * within {@link ENDED_WRITER_WINDOW_MS} with a publish activity in flight (that attempt can still CAS
 * a version whose files gc would take for garbage), found as the latest run or, when a newer run has
 * started since, through visibility; else null.
 */
async function writingHolder(deps: ActivityDeps, workflowId: string): Promise<{ workflowId: string; runId: string; endedAt?: Date } | null> {
  let desc;
  try {
    desc = await deps.temporalClient!().workflow.getHandle(workflowId).describe();
  } catch (err) {
    if ((err as Error).name === "WorkflowNotFoundError") return null;
    throw err;
  }
  const holder = { workflowId: desc.workflowId, runId: desc.runId };
  if (desc.status.name === "RUNNING") return holder;
  const ended = publishMayStillLand(desc.status.name, desc.closeTime?.getTime(), Date.now()) ? [{ runId: desc.runId, closeTime: desc.closeTime }] : [];
  const since = new Date(Date.now() - ENDED_WRITER_WINDOW_MS).toISOString();
  const query = `WorkflowId = '${workflowId}' AND ExecutionStatus IN ('Terminated', 'TimedOut') AND CloseTime > '${since}'`;
  for await (const run of deps.temporalClient!().workflow.list({ query })) {
    if (run.runId !== desc.runId && publishMayStillLand(run.status.name, run.closeTime?.getTime(), Date.now())) ended.push({ runId: run.runId, closeTime: run.closeTime });
  }
  for (const run of ended) {
    if (publishInFlight(await activityEvents(deps, workflowId, run.runId))) return { workflowId, runId: run.runId, endedAt: run.closeTime };
  }
  return null;
}

/** The refusal for a run ended from outside (terminated, timed out) whose last publish attempt may still land. */
function publishMayLand(holder: { workflowId: string; runId: string; endedAt?: Date }): PublishMayLandError {
  const until = new Date(holder.endedAt!.getTime() + ENDED_WRITER_WINDOW_MS).toISOString();
  return new PublishMayLandError(
    `gc refuses to run now: workflow ${holder.workflowId} run ${holder.runId} was ended at ${holder.endedAt!.toISOString()} during its publish step, whose attempt may still land until ${until}; run gc again after that.`,
  );
}

/**
 * Refuses while a run that may still publish objects gc would see as unreferenced holds the
 * dataset: its ingest (or optimize) under the one-writer id, or its verify, whose repair writes a
 * new version outside that id; also for a while after such a run was terminated or timed out.
 */
async function refuseWhileWriting(deps: ActivityDeps, dataset: string): Promise<void> {
  if (!deps.temporalClient) return;
  const ingest = await writingHolder(deps, ingestWorkflowId(dataset));
  if (ingest?.endedAt) throw publishMayLand(ingest);
  if (ingest) throw new IngestRunningError(`gc refuses to run now: ${busyMessage(dataset, ingest)}`);
  const verify = await writingHolder(deps, verifyWorkflowId(dataset));
  if (verify?.endedAt) throw publishMayLand(verify);
  if (verify) {
    throw new VerifyRunningError(
      `gc refuses to run now: dataset ${dataset} is being verified by workflow ${verify.workflowId} run ${verify.runId}, whose repair may publish files gc would take for garbage; wait for it with "temporal workflow describe --workflow-id ${verify.workflowId}", then run gc again.`,
    );
  }
}

/**
 * The sweep after the checks: walks the chain, lists the dataset and deletes what is unreferenced and
 * older than `cutoff`, heartbeating throughout (a chain of thousands of versions on S3 takes longer
 * to walk than the heartbeat timeout). It stops before its next listing page or delete once the
 * activity is cancelled (the workflow cancelled, or this attempt's heartbeat timed out), so no stale
 * sweep goes on deleting after its checks stopped holding.
 */
async function sweep(
  deps: ActivityDeps,
  { dataset, olderThanMs, cutoff, dryRun }: { dataset: string; olderThanMs: number; cutoff: number; dryRun: boolean },
  signal: AbortSignal | undefined,
  note: (details: unknown) => void,
): Promise<GcResult> {
  const { store } = deps;
  const layout = new DatasetLayout(dataset);
  const { refs, consumed } = await referencedKeys(deps, dataset);
  if (refs.size === 1) {
    for await (const o of store.list(layout.key("events/"))) {
      if (o.key.endsWith("/manifest.json")) {
        throw new GcUnsafeError(`gc refuses to run on ${dataset}: it has version manifests (e.g. ${layout.relative(o.key)}) but no pointer; restore current/manifest.json or run "tidemark verify ${dataset}".`);
      }
    }
  }
  const result = emptyGcResult(dataset, olderThanMs, dryRun);
  const doomed: string[] = [];
  for await (const o of store.list(layout.root)) {
    signal?.throwIfAborted();
    result.scanned++;
    const path = layout.relative(o.key);
    if (refs.has(path) || pendingFragment(path, layout.inbox(), consumed)) result.referenced++;
    else if (tooYoungForGc(o.lastModified.getTime(), cutoff)) result.young++;
    else {
      doomed.push(o.key);
      result.deleted++;
      result.bytes += o.size;
      if (result.keys.length < GC_KEYS_CAP) result.keys.push(path);
      else result.truncated = true;
    }
    note({ scanned: result.scanned });
  }
  if (!dryRun) {
    for (const [i, key] of doomed.entries()) {
      signal?.throwIfAborted();
      await store.delete(key);
      note({ deleted: i + 1 });
    }
  }
  signal?.throwIfAborted();
  const abandoned = (await store.sweepAbandonedWrites?.(layout.root, new Date(cutoff), dryRun)) ?? [];
  result.abandoned = { files: abandoned.length, bytes: abandoned.reduce((n, a) => n + a.size, 0) };
  return result;
}

/**
 * The store's clock now: the last-modified time of a probe written and deleted (S3's own clock,
 * in whole seconds on AWS), so a worker clock ahead of the store's cannot make gc take an object
 * written after it started for an old one. It is read from a listing, as the sweep reads every
 * other object's (a HEAD's HTTP date has whole seconds where MinIO's listing has milliseconds).
 */
async function storeNow(store: ObjectStore, layout: DatasetLayout): Promise<number> {
  const key = layout.key(layout.clockProbe(randomUUID()));
  await store.put(key, "");
  try {
    for await (const o of store.list(key)) if (o.key === key) return o.lastModified.getTime();
    return (await store.head(key)).lastModified.getTime();
  } finally {
    await store.delete(key);
  }
}

/**
 * Whether the store holds nothing of the dataset (an id never ingested, or mistyped): gc then ends at
 * once, writing no clock probe there; whatever appears under it later was written after gc started.
 */
async function holdsNothing(store: ObjectStore, layout: DatasetLayout): Promise<boolean> {
  for await (const _ of store.list(layout.root, { pageSize: 1 })) return false;
  return true;
}

/** The sweep of `collectGarbage`. */
export function gcActivities(deps: ActivityDeps) {
  return {
    /**
     * Deletes (unless `dryRun`) every object under the dataset that no reachable version references and
     * that was older than `olderThan` when the sweep started; refuses while an ingest or a verify of
     * the dataset runs. The age is taken before that check, so whatever a run starting after it
     * writes (unreferenced until its CAS, which may come after the chain was walked) is young.
     */
    async sweepGarbage({ dataset, olderThan, dryRun }: GcInput): Promise<GcResult> {
      const olderThanMs = parseAge(olderThan);
      if (olderThanMs === undefined) {
        throw new InvalidGcAgeError(`The age ${JSON.stringify(olderThan)} is not a duration; pass milliseconds or a duration such as "30m", "1h" or "7d".`);
      }
      const layout = new DatasetLayout(dataset);
      if (await holdsNothing(deps.store, layout)) return emptyGcResult(dataset, olderThanMs, Boolean(dryRun));
      const now = dryRun ? Date.now() : await storeNow(deps.store, layout);
      const cutoff = gcCutoff(now, olderThanMs);
      await refuseWhileWriting(deps, dataset);
      return withKeepAlive((signal, note) => sweep(deps, { dataset, olderThanMs, cutoff, dryRun: Boolean(dryRun) }, signal, note));
    },
  };
}
