import { WorkflowNotFoundError, type WorkflowHandle } from "@temporalio/client";
import { defaultPayloadConverter } from "@temporalio/common";
import { temporal } from "@temporalio/proto";
import type { Command } from "commander";
import type { IngestResult } from "../../contracts";
import type { OptimizeResult } from "../../manifest/optimize";
import { validateDatasetId } from "../../definition/id";
import { TidemarkError } from "../../errors";
import { DatasetLayout } from "../../layout";
import { writtenBy } from "../../manifest/projection-plan";
import { ingestWorkflowId } from "../../one-writer";
import type { ObjectStore } from "../../store/types";
import { CliContext } from "../client";
import { rootFailure } from "../failure";
import { parseWaitSeconds } from "../options";
import { say, sayJson } from "../output";
import { describeOptimizeResult, describeResult, VERSION_KEY } from "../runs";

/** The store reads of manifests, loaded when a command first reads the store. */
const manifestReads = () => import("../../manifest/read.js");

/** `cancel` found no running ingest. */
export class NothingRunningError extends TidemarkError {}

/** Summaries of compensation activities start with this (workflows/ingest.ts names each undo step so). */
export const UNDO_PREFIX = "undo: ";

/** How the cancelled run closed, read from its close status and history once it closed. */
export type CancelOutcome =
  | { kind: "cancelled"; compensations: string[] }
  | { kind: "completed"; result: IngestResult | OptimizeResult }
  | { kind: "failed"; message: string; compensations: string[] }
  | { kind: "still-running" }
  | { kind: "closed"; status: string };

const EventType = temporal.api.enums.v1.EventType;

function summaryOf(event: temporal.api.history.v1.IHistoryEvent): string | undefined {
  const payload = event.userMetadata?.summary;
  if (!payload) return undefined;
  try {
    const value = defaultPayloadConverter.fromPayload<unknown>(payload);
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Summaries (starting "undo: ") of the compensation activities that completed in a run's history, in the order they completed. */
export function completedCompensations(history: temporal.api.history.v1.IHistory): string[] {
  const scheduled = new Map<string, string>();
  const done: string[] = [];
  for (const event of history.events ?? []) {
    if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      const summary = summaryOf(event);
      if (summary?.startsWith(UNDO_PREFIX)) scheduled.set(String(event.eventId), summary);
    } else if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
      const summary = scheduled.get(String(event.activityTaskCompletedEventAttributes?.scheduledEventId));
      if (summary) done.push(summary);
    }
  }
  return done;
}

/** Whether the run closes within `waitMs`; the wait for its result is aborted when it does not, so no call outlives the answer. */
async function closed(handle: WorkflowHandle, waitMs: number): Promise<boolean> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
  try {
    const ended = handle.client.withAbortSignal(abort.signal, () => handle.result()).then(() => true, () => true);
    return await Promise.race([ended, timeout]);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/** Waits up to `waitMs` for the run to close, then reads how it closed: its status, its result or failure, and the compensations its history shows completed. */
export async function cancelOutcome(handle: WorkflowHandle, waitMs: number): Promise<CancelOutcome> {
  if (!(await closed(handle, waitMs))) return { kind: "still-running" };
  const status = (await handle.describe()).status.name;
  if (status === "COMPLETED") return { kind: "completed", result: (await handle.result()) as IngestResult | OptimizeResult };
  if (status === "CANCELLED" || status === "FAILED") {
    const compensations = completedCompensations(await handle.fetchHistory());
    if (status === "CANCELLED") return { kind: "cancelled", compensations };
    const message = await handle.result().then(() => "the run failed", (err: unknown) => rootFailure(err).message);
    return { kind: "failed", message, compensations };
  }
  return { kind: "closed", status };
}

async function leftovers(store: ObjectStore, dataset: string, version: string): Promise<number> {
  const layout = new DatasetLayout(dataset);
  let count = 0;
  for (const prefix of layout.versionPrefixes(version)) {
    for await (const _ of store.list(layout.key(prefix))) count++;
  }
  for await (const o of store.list(layout.key("projections/"))) if (writtenBy(o.key, version)) count++;
  return count;
}

async function storeFacts(ctx: CliContext, dataset: string, version: string | null): Promise<StoreFacts> {
  if (!version) return { current: undefined, remaining: null };
  try {
    const store = await ctx.store();
    const current = (await (await manifestReads()).readPointer(store, dataset))?.pointer.current_version ?? null;
    return { current, remaining: current === version ? null : await leftovers(store, dataset, version) };
  } catch {
    return { current: undefined, remaining: null };
  }
}

function undone(compensations: string[]): string {
  return compensations.length === 0 ? "no compensation ran (nothing had been written yet)" : `compensations ran: ${compensations.map((c) => c.slice(UNDO_PREFIX.length)).join("; ")}`;
}

/** What the store showed after the run closed: the current version (undefined: not read) and objects of the run's version left (null: not counted). */
export interface StoreFacts {
  current: string | null | undefined;
  remaining: number | null;
}

/** The sentence `tidemark cancel` prints for how run `run` (of `version`) closed. */
export function cancelReport(run: string, dataset: string, version: string | null, end: CancelOutcome, facts: StoreFacts): string {
  const left = facts.remaining === null ? "" : facts.remaining === 0 ? "; nothing it wrote is left" : `; ${facts.remaining} objects remain, "tidemark gc ${dataset}" removes them`;
  switch (end.kind) {
    case "still-running":
      return `cancellation of ${run} requested; it is still closing (compensations run before it ends) — follow it with "tidemark status ${dataset}".`;
    case "completed": {
      const what = "counts" in end.result ? describeResult(end.result) : describeOptimizeResult(end.result);
      return end.result.status === "published"
        ? `the run published ${end.result.version} before the cancel took effect (${what}); it stays current.`
        : `${run} finished before the cancellation reached it: ${what}.`;
    }
    case "failed":
      return `${run} failed while being cancelled: ${end.message}; ${undone(end.compensations)}${left}.`;
    case "closed":
      return `${run} closed as ${end.status} after the cancellation request; see it with "tidemark status ${dataset}".`;
    case "cancelled":
      if (version !== null && facts.current === version) return `cancelled ${run}, but version ${version} is current; ${undone(end.compensations)} — run "tidemark verify ${dataset}".`;
      return `cancelled ${run}; ${undone(end.compensations)}; nothing was published${left}.`;
  }
}

/** `tidemark cancel <dataset> [--wait-seconds N] [--json]`: cancels the running ingest and reports how it closed. */
export function registerCancel(program: Command): void {
  program
    .command("cancel")
    .description("cancel the running ingest of a dataset; unless it already published, its compensations delete what it wrote")
    .argument("<dataset>", "dataset id")
    .option("--wait-seconds <n>", "how long to wait for the run to close", parseWaitSeconds, 30)
    .option("--json", "machine-readable output")
    .action(async (dataset: string, opts: { waitSeconds: number; json?: boolean }) => {
      validateDatasetId(dataset);
      const ctx = new CliContext();
      try {
        const client = await ctx.temporal();
        const workflowId = ingestWorkflowId(dataset);
        let desc;
        try {
          desc = await client.workflow.getHandle(workflowId).describe();
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
        if (!desc || desc.status.name !== "RUNNING") {
          throw new NothingRunningError(`No ingest of ${dataset} is running, so there is nothing to cancel; see its runs with "tidemark status ${dataset}".`);
        }
        const version = desc.typedSearchAttributes.get(VERSION_KEY) ?? null;
        const handle = client.workflow.getHandle(workflowId, desc.runId, { followRuns: false });
        await handle.cancel();
        const end = await cancelOutcome(handle, opts.waitSeconds * 1000);
        const facts: StoreFacts = end.kind === "still-running" || end.kind === "completed" ? { current: undefined, remaining: null } : await storeFacts(ctx, dataset, version);
        if (opts.json) {
          return sayJson({
            dataset, workflowId, runId: desc.runId, version, outcome: end.kind,
            ...(end.kind === "cancelled" || end.kind === "failed" ? { compensations: end.compensations } : {}),
            ...(end.kind === "completed" ? { result: end.result } : {}),
            ...(end.kind === "failed" ? { error: end.message } : {}),
            ...(end.kind === "closed" ? { status: end.status } : {}),
            ...(facts.current !== undefined ? { currentVersion: facts.current } : {}),
            leftoverObjects: facts.remaining,
          });
        }
        say(cancelReport(`${workflowId} run ${desc.runId}`, dataset, version, end, facts));
      } finally {
        await ctx.close();
      }
    });
}
