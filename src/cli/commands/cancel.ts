import { WorkflowFailedError, WorkflowNotFoundError } from "@temporalio/client";
import { CancelledFailure } from "@temporalio/common";
import type { Command } from "commander";
import { readPointer } from "../../../activities/base";
import type { IngestResult } from "../../contracts";
import { validateDatasetId } from "../../definition";
import { TidemarkError } from "../../errors";
import { DatasetLayout } from "../../layout";
import { ingestWorkflowId } from "../../one-writer";
import type { ObjectStore } from "../../store/types";
import { CliContext } from "../client";
import { rootFailure } from "../failure";
import { parsePositiveInt } from "../options";
import { say, sayJson } from "../output";
import { describeResult, VERSION_KEY } from "../runs";

/** `cancel` found no running ingest. */
export class NothingRunningError extends TidemarkError {}

type Ending = { kind: "cancelled" } | { kind: "completed"; result: IngestResult } | { kind: "failed"; message: string } | { kind: "still-running" };

async function ending(result: Promise<unknown>, waitMs: number): Promise<Ending> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Ending>((resolve) => (timer = setTimeout(() => resolve({ kind: "still-running" }), waitMs)));
  const settled = result.then(
    (r): Ending => ({ kind: "completed", result: r as IngestResult }),
    (err): Ending => (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure ? { kind: "cancelled" } : { kind: "failed", message: rootFailure(err).message }),
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function leftovers(store: ObjectStore, dataset: string, version: string): Promise<number> {
  const layout = new DatasetLayout(dataset);
  let count = 0;
  for (const prefix of layout.versionPrefixes(version)) {
    for await (const _ of store.list(layout.key(prefix))) count++;
  }
  return count;
}

async function storeFacts(ctx: CliContext, dataset: string, version: string | null, cancelled: boolean): Promise<{ published: boolean | null; remaining: number | null }> {
  if (!version) return { published: null, remaining: null };
  try {
    const store = ctx.store();
    const published = (await readPointer(store, dataset))?.pointer.current_version === version;
    return { published, remaining: cancelled && !published ? await leftovers(store, dataset, version) : null };
  } catch {
    return { published: null, remaining: null };
  }
}

/** `tidemark cancel <dataset> [--wait-seconds N] [--json]`: cancels the running ingest; its compensations delete what it wrote. */
export function registerCancel(program: Command): void {
  program
    .command("cancel")
    .description("cancel the running ingest of a dataset; unless it already published, its compensations delete what it wrote")
    .argument("<dataset>", "dataset id")
    .option("--wait-seconds <n>", "how long to wait for the run to close", parsePositiveInt, 30)
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
        const end = await ending(handle.result(), opts.waitSeconds * 1000);
        const { published, remaining } = await storeFacts(ctx, dataset, version, end.kind === "cancelled");
        if (opts.json) return sayJson({ dataset, workflowId, runId: desc.runId, version, outcome: end.kind, published, leftoverObjects: remaining, ...(end.kind === "completed" ? { result: end.result } : {}), ...(end.kind === "failed" ? { error: end.message } : {}) });
        const run = `${workflowId} run ${desc.runId}`;
        if (end.kind === "still-running") {
          return say(`cancellation of ${run} requested; it is still closing (compensations run before it ends) — follow it with "tidemark status ${dataset}".`);
        }
        if (end.kind === "completed") return say(`${run} finished before the cancellation reached it: ${describeResult(end.result)}.`);
        if (end.kind === "failed") return say(`${run} failed while being cancelled: ${end.message}`);
        if (published === null) return say(`cancelled ${run}; unless it had already published, its compensations deleted what it wrote — check with "tidemark status ${dataset}".`);
        if (published) return say(`cancelled ${run} after it had published version ${version}; only its notification step was stopped, the version stays current.`);
        const cleaned = remaining === 0 ? "nothing it wrote is left" : remaining === null ? "" : `${remaining} objects remain; "tidemark gc ${dataset}" removes them`;
        say(`cancelled ${run}; its compensations ran and nothing was published${cleaned ? ` (${cleaned})` : ""}.`);
      } finally {
        await ctx.close();
      }
    });
}
