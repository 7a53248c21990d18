import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from "@temporalio/client";
import type { Command } from "commander";
import type { IngestInput, IngestProgress, IngestResult } from "../../contracts";
import { validateDatasetId } from "../../definition/id";
import { CREDENTIAL_FIX, literalCredential } from "../../definition/credentials";
import { TidemarkError } from "../../errors";
import { busyMessage, ingestWorkflowId } from "../../one-writer";
import { runUrl } from "../../config/runtime";
import { ingestRunSummary } from "../../run-summary";
import { CliContext } from "../client";
import { awaitNoticingNoWorker, NO_WORKER_AFTER_MS, noWorkerNotice } from "../no-worker";
import { rootFailure } from "../failure";
import { say, sayJson, UsageError } from "../output";
import { ProgressLine } from "../progress";

/** A second ingest of a dataset was refused (SPEC §3). */
export class DatasetBusyError extends TidemarkError {}

/** `--source` carries a literal secret, which would be stored in the run's history. */
export class LiteralCredentialError extends TidemarkError {}

/** An ingest run failed; the message is the run's root cause. */
export class IngestFailedError extends TidemarkError {}

function formatCounts(r: IngestResult): string {
  const c = r.counts;
  return `inserted ${c.inserted}, updated ${c.updated}, deleted ${c.deleted}, unchanged ${c.unchanged}, rows ${c.rowsTotal}`;
}

/** Checks a `--source` argument: an empty one (an unset `$VAR`) would silently read the definition's source instead. */
export function checkSourceArg(value: string): string {
  if (value.trim() === "") {
    throw new UsageError('--source is empty (an unset variable in --source "$VAR"?); give a source URI such as file:///data/series.csv, or drop --source to read the definition\'s source.uri.');
  }
  return value;
}

/** Whether an ingest argument names a definition file (it looks like a path) rather than a dataset id. */
export function looksLikeDefinitionPath(target: string): boolean {
  return target.includes("/") || /\.(ya?ml|json)$/i.test(target);
}

/**
 * Resolves `<dataset-id | file.yaml>` into a dataset id and, for files, the validated definition. An
 * argument that does not look like a path must be a valid dataset id, checked before any I/O.
 */
async function resolveTarget(target: string): Promise<{ dataset: string; definition?: unknown }> {
  if (looksLikeDefinitionPath(target)) {
    const { loadDefinitionFile } = await import("../../definition/load.js");
    const definition = await loadDefinitionFile(target);
    return { dataset: definition.id, definition };
  }
  validateDatasetId(target);
  return { dataset: target };
}

/** How often a waiting CLI asks the run for its `progress`; a run that ends sooner is never queried. */
const PROGRESS_EVERY_MS = 500;

/**
 * Waits for an ingest run, showing its `progress` on stderr (rewritten in place on a TTY unless
 * `json`). When the run has not answered a progress query after a while (a query to a run no worker
 * picks up stays pending until the server gives up on it), `noWorker` is asked once for a notice (no
 * worker polls the task queue), printed on stderr; the run keeps waiting.
 */
export async function follow(handle: WorkflowHandle, json: boolean, noWorker?: () => Promise<string | null>): Promise<IngestResult> {
  const line = new ProgressLine(!json && process.stderr.isTTY);
  let answered = false;
  let done = false;
  let wake = () => {};
  const poll = (async () => {
    while (!done) {
      await new Promise<void>((r) => {
        const timer = setTimeout(r, PROGRESS_EVERY_MS);
        wake = () => {
          clearTimeout(timer);
          r();
        };
      });
      if (done) break;
      try {
        line.update(await handle.query<IngestProgress>("progress"));
        answered = true;
      } catch {
        /* the run may not have started its first task yet */
      }
    }
  })();
  const silentRun = async () => (answered || !noWorker ? null : noWorker());
  try {
    return (await awaitNoticingNoWorker(handle.result(), silentRun, NO_WORKER_AFTER_MS)) as IngestResult;
  } finally {
    done = true;
    wake();
    await poll;
    line.clear();
  }
}

/**
 * Starts the one ingest run of `input.dataset` (workflow id `tidemark/ingest/<dataset>`); a run
 * already executing refuses it with {@link DatasetBusyError} naming that run. `trigger` names the
 * command in the run's summary.
 */
export async function startIngest(client: Client, taskQueue: string, input: IngestInput, trigger: string): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const { dataset } = input;
  try {
    return await client.workflow.start("ingestDataset", {
      workflowId: ingestWorkflowId(dataset),
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: "FAIL",
      workflowIdReusePolicy: "ALLOW_DUPLICATE",
      staticSummary: ingestRunSummary(dataset, { source: input.source, dryRun: input.dryRun, trigger }),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const desc = await client.workflow.getHandle(ingestWorkflowId(dataset)).describe().catch(() => null);
    throw new DatasetBusyError(busyMessage(dataset, desc ? { workflowId: desc.workflowId, runId: desc.runId } : null));
  }
}

/** The one-line outcome of a finished ingest run, as `tidemark ingest --wait` prints it. */
export function ingestOutcomeLine(result: IngestResult): string {
  const what = { published: `published version ${result.version}`, unchanged: "source unchanged; nothing published", "no-changes": "no row changed; nothing published", "dry-run": `dry run of version ${result.version}: nothing written`, "handed-over": `a compaction was running (run ${result.runId}); it was asked to compact again` }[result.status];
  return `${result.dataset}: ${what} (${formatCounts(result)})`;
}

/** `tidemark ingest <dataset-id | file.yaml> [--source URI] [--wait] [--dry-run] [--json]`. */
export function registerIngest(program: Command): void {
  program
    .command("ingest")
    .description("start an ingest of a dataset (by id from TIDEMARK_DATASETS, or a definition file)")
    .argument("<dataset>", "dataset id or path to a definition file")
    .option("--source <uri>", "override the definition's source URI for this run", checkSourceArg)
    .option("--wait", "wait for the run, showing progress")
    .option("--dry-run", "compute what would change, write nothing")
    .option("--json", "machine-readable output")
    .action(async (target: string, opts: { source?: string; wait?: boolean; dryRun?: boolean; json?: boolean }) => {
      const secret = opts.source === undefined ? null : literalCredential(opts.source);
      if (secret) throw new LiteralCredentialError(`--source carries a literal credential (${secret}); ${CREDENTIAL_FIX}.`);
      const { dataset, definition } = await resolveTarget(target);
      const ctx = new CliContext();
      try {
        const client = await ctx.temporal();
        const input: IngestInput = { dataset, source: opts.source, dryRun: opts.dryRun, definition };
        const handle = await startIngest(client, ctx.config.taskQueue, input, "tidemark ingest");
        const runId = handle.firstExecutionRunId;
        const link = runUrl(ctx.config.uiUrl, ctx.config.temporal.namespace, handle.workflowId, runId);
        if (!opts.wait) {
          if (opts.json) return sayJson({ dataset, workflowId: handle.workflowId, runId, url: link });
          return say(`started ${handle.workflowId} run ${runId}\nfollow it with "tidemark status ${dataset}" or ${link}`);
        }
        let result: IngestResult;
        try {
          result = await follow(handle, Boolean(opts.json), () => noWorkerNotice(client, ctx.config.taskQueue, ctx.config.temporal.address));
        } catch (err) {
          if (err instanceof WorkflowFailedError) throw new IngestFailedError(`Ingest of ${dataset} failed: ${rootFailure(err).message}`);
          throw err;
        }
        if (opts.json) return sayJson({ ...result, url: link });
        say(ingestOutcomeLine(result));
        if (result.quarantined) say(`${result.quarantined.rows} bad rows quarantined in ${result.quarantined.report}`);
        say(link);
      } finally {
        await ctx.close();
      }
    });
}
