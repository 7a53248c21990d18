import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from "@temporalio/client";
import type { Command } from "commander";
import type { IngestInput, IngestResult } from "../../contracts";
import { LedgerLayout } from "../../ledger/layout";
import { readModelDatasetId, readModelDefinition } from "../../ledger/read-models";
import { READ_MODELS } from "../../ledger/source-uri";
import { busyMessage, ingestWorkflowId } from "../../one-writer";
import { SourceNotFoundError } from "../../sources/errors";
import type { ObjectStore } from "../../store/types";
import { runUrl } from "../../config/runtime";
import { CliContext } from "../client";
import { rootFailure } from "../failure";
import { say, sayJson } from "../output";
import { DatasetBusyError, follow, IngestFailedError, ingestOutcomeLine, startIngest } from "./ingest";
import { ledgerName } from "./ledger-context";

/** One read model's ingest as `ledger publish --json` reports it. */
export interface PublishedReadModel {
  dataset: string;
  workflowId: string;
  runId: string;
  url: string;
  /** The run's result (with `--wait`). */
  result?: IngestResult;
}

async function hasWallets(store: ObjectStore, ledger: string): Promise<boolean> {
  for await (const _ of store.list(new LedgerLayout(ledger).walletsPrefix())) return true;
  return false;
}

async function waitFor(handle: WorkflowHandle, dataset: string, json: boolean): Promise<IngestResult> {
  try {
    return await follow(handle, json);
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw new IngestFailedError(`Ingest of ${dataset} failed: ${rootFailure(err).message}`);
    throw err;
  }
}

/** Refuses the publish before anything starts when an ingest of either read model is running. */
async function refuseIfBusy(client: Client, ledger: string): Promise<void> {
  for (const model of READ_MODELS) {
    const dataset = readModelDatasetId(ledger, model);
    const desc = await client.workflow.getHandle(ingestWorkflowId(dataset)).describe().catch((err) => {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    });
    if (desc?.status.name === "RUNNING") throw new DatasetBusyError(busyMessage(dataset, { workflowId: desc.workflowId, runId: desc.runId }));
  }
}

async function publish(client: Client, ctx: CliContext, ledger: string, wait: boolean, json: boolean): Promise<PublishedReadModel[]> {
  await refuseIfBusy(client, ledger);
  const started: Array<PublishedReadModel & { handle: WorkflowHandle }> = [];
  const busy: string[] = [];
  for (const model of READ_MODELS) {
    const definition = readModelDefinition(ledger, model);
    const input: IngestInput = { dataset: definition.id, definition };
    try {
      const handle = await startIngest(client, ctx.config.taskQueue, input, "tidemark ledger publish");
      const url = runUrl(ctx.config.uiUrl, ctx.config.temporal.namespace, handle.workflowId, handle.firstExecutionRunId);
      started.push({ dataset: definition.id, workflowId: handle.workflowId, runId: handle.firstExecutionRunId, url, handle });
    } catch (err) {
      if (!(err instanceof DatasetBusyError)) throw err;
      busy.push(err.message);
    }
  }
  if (busy.length > 0) {
    const others = started.map((s) => `; ${s.dataset} was started anyway (workflow ${s.workflowId} run ${s.runId})`).join("");
    throw new DatasetBusyError(`${busy.map((b) => b.replace(/\.$/, "")).join("; ")}${others}.`);
  }
  const results = wait ? await Promise.all(started.map((s) => waitFor(s.handle, s.dataset, json))) : [];
  return started.map(({ handle: _handle, ...s }, i) => (wait ? { ...s, result: results[i] } : s));
}

/** `tidemark ledger publish`: ingests the ledger's read models `ledger.<ledger>.events` and `ledger.<ledger>.balances`. */
export function registerLedgerPublish(ledger: Command): void {
  ledger
    .command("publish")
    .description(`publish the ledger's events and balances as datasets ${readModelDatasetId("<ledger>", "events")} and ${readModelDatasetId("<ledger>", "balances")} (one ingest each)`)
    .option("--ledger <id>", "ledger (env TIDEMARK_LEDGER, default \"default\")")
    .option("--wait", "wait for both ingests and print their versions and counts")
    .option("--json", "machine-readable output")
    .action(async (opts: { ledger?: string; wait?: boolean; json?: boolean }) => {
      const name = ledgerName(opts.ledger);
      const ctx = new CliContext();
      try {
        if (!(await hasWallets(await ctx.store(), name))) {
          throw new SourceNotFoundError(`Ledger "${name}" has no wallets, so there is nothing to publish; create a wallet first ("tidemark wallets create") or check --ledger.`);
        }
        const runs = await publish(await ctx.temporal(), ctx, name, Boolean(opts.wait), Boolean(opts.json));
        if (opts.json) return sayJson({ ledger: name, datasets: runs });
        for (const r of runs) {
          if (r.result) say(ingestOutcomeLine(r.result));
          else say(`started ${r.workflowId} run ${r.runId}`);
          say(r.url);
        }
      } finally {
        await ctx.close();
      }
    });
}
