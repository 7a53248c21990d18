import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from "@temporalio/client";
import { defineSearchAttributeKey, SearchAttributeType } from "@temporalio/common";
import type { IngestProgress, IngestResult } from "../contracts";
import type { OptimizeResult } from "../manifest/optimize";
import { ingestWorkflowId } from "../one-writer";
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
  result?: IngestResult;
}

function triggerOf(info: WorkflowExecutionInfo, canonical: string): RunSummary["trigger"] {
  const parent = info.parentExecution?.workflowId ?? undefined;
  return info.workflowId !== canonical || (parent != null && parent.startsWith(`${canonical}-`)) ? "schedule" : "direct";
}

/** A one-line description of an ingest result. */
export function describeResult(r: IngestResult): string {
  const c = r.counts;
  const counts = `+${c.inserted} ~${c.updated} -${c.deleted}, ${c.rowsTotal} rows`;
  return { published: `published (${counts})`, unchanged: "source unchanged", "no-changes": "no row changed", "dry-run": `dry run (${counts})`, "handed-over": "handed over to the running compaction" }[r.status] ?? r.status;
}

/** A one-line description of an optimize result (an optimize run holds the dataset's one-writer id too), starting "optimize: ". */
export function describeOptimizeResult(r: OptimizeResult): string {
  if (r.status === "nothing" && r.parentVersion === null) return "optimize: no published version to optimize";
  if (r.status === "nothing") return "optimize: no month had more parts than allowed; nothing published";
  return `optimize: ${r.merged.length} month${r.merged.length === 1 ? "" : "s"} merged from ${r.partsBefore} part files`;
}

async function outcomeOf(client: Client, info: WorkflowExecutionInfo): Promise<{ outcome: string; result?: IngestResult }> {
  const status = info.status.name;
  if (status === "RUNNING") return { outcome: "running" };
  if (status !== "COMPLETED" && status !== "FAILED") return { outcome: status.toLowerCase().replaceAll("_", " ") };
  try {
    const result = await client.workflow.getHandle(info.workflowId, info.runId, { followRuns: false }).result();
    if (info.type === "optimizeDataset") return { outcome: describeOptimizeResult(result as OptimizeResult) };
    return { outcome: describeResult(result as IngestResult), result: result as IngestResult };
  } catch (err) {
    return { outcome: `failed: ${rootFailure(err).message}` };
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
