import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from "@temporalio/client";
import { defineSearchAttributeKey, SearchAttributeType } from "@temporalio/common";
import type { IngestProgress, IngestResult } from "../contracts";
import type { OptimizeResult } from "../manifest/optimize";
import { ingestWorkflowId } from "../one-writer";
import type { IngestMemo } from "../run-summary";
import { rootFailure } from "./failure";

/** `TidemarkDataset` (Keyword): the dataset a run works on. */
export const DATASET_KEY = defineSearchAttributeKey("TidemarkDataset", SearchAttributeType.KEYWORD);
/** `TidemarkVersion` (Keyword): the version a run publishes. */
export const VERSION_KEY = defineSearchAttributeKey("TidemarkVersion", SearchAttributeType.KEYWORD);

/** One ingest run of a dataset as `status` reports it. */
export interface RunSummary {
  workflowId: string;
  runId: string;
  status: string;
  startedAt: string;
  closedAt: string | null;
  version: string | null;
  /** `direct` for runs started under the canonical id, `schedule` for runs a Schedule started (the delegating parent and its child). */
  trigger: "direct" | "schedule";
  /** What the run did: the ingest status and counts, or why it failed. */
  outcome: string;
  /** Whether the run published `version` (from its result, or from the memo of a run that continued as new or was ended after publishing). */
  published: boolean;
  result?: IngestResult;
}

function triggerOf(info: WorkflowExecutionInfo, canonical: string): RunSummary["trigger"] {
  const parent = info.parentExecution?.workflowId ?? undefined;
  return info.workflowId !== canonical || (parent != null && parent.startsWith(`${canonical}-`)) ? "schedule" : "direct";
}

/** A one-line description of an ingest outcome: its status, changes and rows. */
export function describeOutcome(status: string, c: { inserted: number; updated: number; deleted: number }, rowsTotal: number): string {
  const counts = `+${c.inserted} ~${c.updated} -${c.deleted}, ${rowsTotal} rows`;
  const texts: Record<string, string> = { published: `published (${counts})`, unchanged: "source unchanged", "no-changes": "no row changed", "dry-run": `dry run (${counts})`, "handed-over": "handed over to the running compaction" };
  return texts[status] ?? status;
}

/** A one-line description of an ingest result. */
export function describeResult(r: IngestResult): string {
  return describeOutcome(r.status, r.counts, r.counts.rowsTotal);
}

/** The outcome an ingest run left in its memo when it ended (see `ingestMemo`), if it left one. */
export function memoOutcome(memo: Record<string, unknown> | undefined): IngestMemo | null {
  const counts = memo?.counts as Record<string, unknown> | undefined;
  if (typeof memo?.status !== "string" || typeof memo.version !== "string" || typeof memo.rowsTotal !== "number") return null;
  if (!counts || !["inserted", "updated", "deleted", "unchanged"].every((k) => typeof counts[k] === "number")) return null;
  return memo as unknown as IngestMemo;
}

/**
 * What a run that ended without a result did: a push compaction that published and then continued
 * as new (its next run compacts what arrived meanwhile), or a run terminated after it published,
 * says so from its memo; any other such run is described by how it ended.
 */
export function endedOutcome(status: string, memo: Record<string, unknown> | undefined): { outcome: string; published: boolean } {
  const ended = status.toLowerCase().replaceAll("_", " ");
  const recorded = memoOutcome(memo);
  if (!recorded || !["published", "no-changes", "unchanged"].includes(recorded.status)) return { outcome: ended, published: false };
  return { outcome: `${describeOutcome(recorded.status, recorded.counts, recorded.rowsTotal)}; ${ended}`, published: recorded.status === "published" };
}

/** A one-line description of an optimize result (an optimize run holds the dataset's one-writer id too), starting "optimize: ". */
export function describeOptimizeResult(r: OptimizeResult): string {
  if (r.status === "nothing" && r.parentVersion === null) return "optimize: no published version to optimize";
  if (r.status === "nothing") return "optimize: no month had more parts than allowed; nothing published";
  return `optimize: ${r.merged.length} month${r.merged.length === 1 ? "" : "s"} merged from ${r.partsBefore} part files`;
}

async function outcomeOf(client: Client, info: WorkflowExecutionInfo): Promise<{ outcome: string; published: boolean; result?: IngestResult }> {
  const status = info.status.name;
  if (status === "RUNNING") return { outcome: "running", published: false };
  if (status !== "COMPLETED" && status !== "FAILED") return endedOutcome(status, info.memo);
  try {
    const result = await client.workflow.getHandle(info.workflowId, info.runId, { followRuns: false }).result();
    if (info.type === "optimizeDataset") return { outcome: describeOptimizeResult(result as OptimizeResult), published: (result as OptimizeResult).status !== "nothing" };
    return { outcome: describeResult(result as IngestResult), published: (result as IngestResult).status === "published", result: result as IngestResult };
  } catch (err) {
    return { outcome: `failed: ${rootFailure(err).message}`, published: false };
  }
}

/**
 * The latest ingest runs of a dataset (search attribute `TidemarkDataset`), newest first. The
 * delegating parent of a scheduled run is left out when it merely mirrors its child.
 */
export async function recentRuns(client: Client, dataset: string, limit = 5): Promise<RunSummary[]> {
  const canonical = ingestWorkflowId(dataset);
  const picked: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query: `TidemarkDataset = '${dataset}'`, pageSize: 50 })) {
    const mirror = info.workflowId !== canonical && ["COMPLETED", "RUNNING", "CANCELLED"].includes(info.status.name);
    if (!mirror) picked.push(info);
    if (picked.length >= limit) break;
  }
  return Promise.all(
    picked.map(async (info) => ({
      workflowId: info.workflowId,
      runId: info.runId,
      status: info.status.name,
      startedAt: info.startTime.toISOString(),
      closedAt: info.closeTime?.toISOString() ?? null,
      version: info.typedSearchAttributes.get(VERSION_KEY) ?? null,
      trigger: triggerOf(info, canonical),
      ...(await outcomeOf(client, info)),
    })),
  );
}

/** The run holding a dataset's canonical ingest id, when one is executing, with its latest progress if a worker answers within `queryTimeoutMs`. */
export async function runningIngest(
  client: Client,
  dataset: string,
  queryTimeoutMs = 3000,
): Promise<{ workflowId: string; runId: string; startedAt: string; progress: IngestProgress | null } | null> {
  const handle = client.workflow.getHandle(ingestWorkflowId(dataset));
  let desc;
  try {
    desc = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  if (desc.status.name !== "RUNNING") return null;
  const progress = await client.withDeadline(Date.now() + queryTimeoutMs, () => handle.query<IngestProgress>("progress")).catch(() => null);
  return { workflowId: desc.workflowId, runId: desc.runId, startedAt: desc.startTime.toISOString(), progress };
}
