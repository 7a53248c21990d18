import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from "@temporalio/client";
import type { Command } from "commander";
import { validateDatasetId } from "../../definition/id";
import { TidemarkError } from "../../errors";
import { verifyWorkflowId, type Finding, type VerifyInput, type VerifyResult } from "../../maintenance";
import { CliContext } from "../client";
import { rootFailure } from "../failure";
import { awaitNoticingNoWorker, noWorkerNotice } from "../no-worker";
import { say, sayJson } from "../output";

/** A maintenance run (verify, gc) failed or was refused; the message is the run's root cause. */
export class MaintenanceFailedError extends TidemarkError {}

/** Findings remain after `verify` (exit 1 without an extra error line). */
export class FindingsRemainError extends TidemarkError {}

/**
 * Runs a maintenance workflow under its fixed id and waits for it, turning failures into one
 * sentence; `noWorker` is asked once for a notice when the run has not ended after a while.
 */
export async function runMaintenance<T>(client: Client, taskQueue: string, type: string, workflowId: string, input: unknown, what: string, noWorker?: () => Promise<string | null>): Promise<T> {
  try {
    const handle = await client.workflow.start(type, { workflowId, taskQueue, args: [input], workflowIdConflictPolicy: "FAIL", workflowIdReusePolicy: "ALLOW_DUPLICATE" });
    return (await awaitNoticingNoWorker(handle.result(), noWorker ?? (async () => null))) as T;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new MaintenanceFailedError(`Another ${what} is already running as workflow ${workflowId}; wait for it to finish (or terminate it with "temporal workflow terminate --workflow-id ${workflowId}") and try again.`);
    }
    if (err instanceof WorkflowFailedError) throw new MaintenanceFailedError(`The ${what} failed: ${rootFailure(err).message}`);
    throw err;
  }
}

/** One finding as one line: check, object, problem. */
export function formatFinding(f: Finding): string {
  return `${f.check}\t${f.object}\t${f.problem}`;
}

function printResult(r: VerifyResult): void {
  if (r.findings.length === 0) return say(`${r.dataset} ${r.version ?? ""}: clean`);
  for (const f of r.findings) say(formatFinding(f));
  if (r.repair?.status === "published") {
    say(`repaired: published version ${r.repair.version} with the index and projections rebuilt from the events`);
    if (r.remaining.length === 0) return say(`${r.dataset} ${r.repair.version}: clean`);
    say("still wrong after the repair:");
    for (const f of r.remaining) say(formatFinding(f));
  } else if (r.repair) {
    say(`not repaired: ${r.repair.reason}`);
  }
}

/** `tidemark verify <dataset> [--repair] [--json]`: checks the current version; exits 1 when findings remain. */
export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description("check a dataset's pointer, manifests, files, index and projections against its events; --repair rebuilds the derivable ones as a new version")
    .argument("<dataset>", "dataset id")
    .option("--repair", "rebuild the index and projections from the events as a new version when only they are wrong")
    .option("--json", "machine-readable output")
    .action(async (dataset: string, opts: { repair?: boolean; json?: boolean }) => {
      validateDatasetId(dataset);
      const ctx = new CliContext();
      let result: VerifyResult;
      try {
        const client = await ctx.temporal();
        const input: VerifyInput = { dataset, repair: Boolean(opts.repair) };
        const noWorker = () => noWorkerNotice(client, ctx.config.taskQueue, ctx.config.temporal.address);
        result = await runMaintenance<VerifyResult>(client, ctx.config.taskQueue, "verifyDataset", verifyWorkflowId(dataset), input, `verify of ${dataset}`, noWorker);
      } finally {
        await ctx.close();
      }
      if (opts.json) sayJson(result);
      else printResult(result);
      if (result.remaining.length > 0) {
        const n = result.remaining.length;
        const hint = opts.repair ? "" : result.remaining.every((f) => ["index", "projection", "totals"].includes(f.check)) ? ` — rebuild ${n === 1 ? "it" : "them"} with "tidemark verify ${dataset} --repair"` : "";
        throw new FindingsRemainError(`${dataset} has ${n} finding${n === 1 ? "" : "s"}${hint}.`);
      }
    });
}
