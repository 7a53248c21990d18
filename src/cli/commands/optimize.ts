import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from "@temporalio/client";
import { Option, type Command } from "commander";
import { validateDatasetId } from "../../definition/id";
import { TidemarkError } from "../../errors";
import { optimizeScheduleId, type OptimizeInput, type OptimizeResult } from "../../manifest/optimize";
import { busyMessage, ingestWorkflowId } from "../../one-writer";
import { runUrl } from "../../config/runtime";
import { CliContext } from "../client";
import { rootFailure } from "../failure";
import { awaitNoticingNoWorker, noWorkerNotice } from "../no-worker";
import { formatDuration, parseDuration, parsePositiveInt } from "../options";
import { say, sayJson, UsageError } from "../output";
import { scheduleSpecError } from "../schedule-spec";
import { DATASET_KEY } from "../runs";
import { DatasetBusyError } from "./ingest";

/** An optimize run failed; the message is the run's root cause. */
export class OptimizeFailedError extends TidemarkError {}

/** The optimize schedule of a dataset exists already. */
export class OptimizeScheduleExistsError extends TidemarkError {}

interface OptimizeOptions {
  all?: boolean;
  maxParts?: number;
  wait?: boolean;
  json?: boolean;
  every?: string;
  cron?: string;
  catchupWindow: number;
}

/** The one-line outcome of a finished optimize run. */
export function optimizeOutcomeLine(r: OptimizeResult): string {
  if (r.status === "nothing" && r.parentVersion === null) return `${r.dataset}: has no published version, so there is nothing to optimize; ingest it first with "tidemark ingest ${r.dataset}"`;
  if (r.status === "nothing") return `${r.dataset}: no month has more parts than allowed; nothing published`;
  return `${r.dataset}: published version ${r.version}: ${r.merged.length} month${r.merged.length === 1 ? "" : "s"} merged from ${r.partsBefore} part files`;
}

/** Starts `optimizeDataset` under the dataset's one-writer id; an ingest or optimize already running refuses it. */
async function start(client: Client, taskQueue: string, input: OptimizeInput) {
  try {
    return await client.workflow.start("optimizeDataset", {
      workflowId: ingestWorkflowId(input.dataset),
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: "FAIL",
      workflowIdReusePolicy: "ALLOW_DUPLICATE",
      staticSummary: `optimize ${input.dataset}${input.all ? " (all multi-part months)" : ""}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const desc = await client.workflow.getHandle(ingestWorkflowId(input.dataset)).describe().catch(() => null);
    throw new DatasetBusyError(busyMessage(input.dataset, desc ? { workflowId: desc.workflowId, runId: desc.runId } : null));
  }
}

/** Creates the Temporal Schedule `tidemark/optimize-schedule/<dataset>` that starts optimize runs (overlaps skipped). */
async function schedule(client: Client, taskQueue: string, input: OptimizeInput, opts: OptimizeOptions): Promise<void> {
  const scheduleId = optimizeScheduleId(input.dataset);
  try {
    await client.schedule.create({
      scheduleId,
      spec: opts.every !== undefined ? { intervals: [{ every: parseDuration(opts.every) }] } : { cronExpressions: [opts.cron!] },
      action: {
        type: "startWorkflow",
        workflowType: "optimizeDataset",
        workflowId: scheduleId,
        taskQueue,
        args: [input],
        typedSearchAttributes: [{ key: DATASET_KEY, value: input.dataset }],
        staticSummary: `optimize ${input.dataset} (schedule ${scheduleId})`,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: opts.catchupWindow },
      memo: { tidemark: { every: opts.every, cron: opts.cron } },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) {
      throw new OptimizeScheduleExistsError(`Dataset ${input.dataset} already has schedule ${scheduleId}; delete it first with "temporal schedule delete --schedule-id ${scheduleId}".`);
    }
    throw scheduleSpecError(err, opts);
  }
  if (opts.json) return sayJson({ dataset: input.dataset, scheduleId });
  say(`created schedule ${scheduleId}: ${opts.every !== undefined ? `every ${opts.every}` : `cron "${opts.cron}"`}, catch-up window ${formatDuration(opts.catchupWindow)}`);
}

/** `tidemark optimize <dataset> [--all] [--max-parts N] [--wait | --every D | --cron S] [--json]`. */
export function registerOptimize(program: Command): void {
  program
    .command("optimize")
    .description("merge the part files of projection months with more than max_parts files into one file each, as a new version")
    .argument("<dataset>", "dataset id")
    .option("--all", "merge every month that has more than one file")
    .option("--max-parts <n>", "merge months with more files than this (default: the definition's max_parts, else 16)", parsePositiveInt)
    .option("--wait", "wait for the run and print its outcome")
    .option("--every <duration>", "instead of running now, create a Schedule that optimizes every interval, e.g. 1d", (v: string) => (parseDuration(v), v))
    .option("--cron <spec>", 'instead of running now, create a Schedule on a cron spec, e.g. "0 3 * * *"')
    .addOption(new Option("--catchup-window <duration>", "with --every/--cron: how late a missed run may still start").argParser(parseDuration).default(600_000, "10m"))
    .option("--json", "machine-readable output")
    .action(async (dataset: string, opts: OptimizeOptions) => {
      validateDatasetId(dataset);
      if (opts.every !== undefined && opts.cron !== undefined) throw new UsageError('Give at most one of --every (e.g. --every 1d) or --cron (e.g. --cron "0 3 * * *").');
      if (opts.all && opts.maxParts !== undefined) throw new UsageError("--all merges every multi-part month; drop --max-parts or --all.");
      if (opts.wait && (opts.every !== undefined || opts.cron !== undefined)) {
        throw new UsageError("--wait waits for an optimize started now, but --every/--cron create a Schedule instead; drop --wait or the schedule flag.");
      }
      const input: OptimizeInput = { dataset, ...(opts.all ? { all: true } : {}), ...(opts.maxParts !== undefined ? { maxParts: opts.maxParts } : {}) };
      const ctx = new CliContext();
      try {
        const client = await ctx.temporal();
        if (opts.every !== undefined || opts.cron !== undefined) return await schedule(client, ctx.config.taskQueue, input, opts);
        const handle = await start(client, ctx.config.taskQueue, input);
        const link = runUrl(ctx.config.uiUrl, ctx.config.temporal.namespace, handle.workflowId, handle.firstExecutionRunId);
        if (!opts.wait) {
          if (opts.json) return sayJson({ dataset, workflowId: handle.workflowId, runId: handle.firstExecutionRunId, url: link });
          return say(`started ${handle.workflowId} run ${handle.firstExecutionRunId} (optimize)\nfollow it with "tidemark status ${dataset}" or ${link}`);
        }
        let result: OptimizeResult;
        try {
          result = (await awaitNoticingNoWorker(handle.result(), () => noWorkerNotice(client, ctx.config.taskQueue, ctx.config.temporal.address))) as OptimizeResult;
        } catch (err) {
          if (err instanceof WorkflowFailedError) throw new OptimizeFailedError(`Optimize of ${dataset} failed: ${rootFailure(err).message}`);
          throw err;
        }
        if (opts.json) return sayJson({ ...result, url: link });
        say(optimizeOutcomeLine(result));
      } finally {
        await ctx.close();
      }
    });
}
