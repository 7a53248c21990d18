import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { validateDatasetId } from "../../definition/id";
import { DEFAULT_GC_AGE, gcWorkflowId, parseAge, type GcInput, type GcResult } from "../../maintenance";
import { CliContext } from "../client";
import { noWorkerNotice } from "../no-worker";
import { formatDuration } from "../options";
import { say, sayJson } from "../output";
import { runMaintenance } from "./verify";

function ageOption(value: string): string {
  if (parseAge(value) === undefined) throw new InvalidArgumentError('expected an age such as "0", "30m", "1h" or "7d".');
  return value;
}

function printResult(r: GcResult): void {
  const verb = r.dryRun ? "would delete" : "deleted";
  for (const key of r.keys) say(`${verb}\t${key}`);
  if (r.truncated) say(`… and ${r.deleted - r.keys.length} more`);
  say(`${r.dataset}: ${verb} ${r.deleted} objects (${r.bytes} bytes) older than ${formatDuration(r.olderThanMs)}; kept ${r.referenced} referenced and ${r.young} younger unreferenced objects of ${r.scanned}.`);
  if (r.abandoned?.files) say(`${r.dataset}: ${verb} ${r.abandoned.files} leftovers of unfinished writes (${r.abandoned.bytes} bytes).`);
}

/** `tidemark gc <dataset> [--older-than 1h] [--dry-run] [--json]`: removes unreferenced objects (scratch, orphans). */
export function registerGc(program: Command): void {
  program
    .command("gc")
    .description("delete objects of a dataset that no published version references (failed runs' scratch, orphans), never younger ones")
    .argument("<dataset>", "dataset id")
    .option("--older-than <age>", "only delete objects at least this old", ageOption, DEFAULT_GC_AGE)
    .option("--dry-run", "list what would be deleted, delete nothing")
    .option("--json", "machine-readable output")
    .action(async (dataset: string, opts: { olderThan: string; dryRun?: boolean; json?: boolean }) => {
      validateDatasetId(dataset);
      const ctx = new CliContext();
      let result: GcResult;
      try {
        const client = await ctx.temporal();
        const input: GcInput = { dataset, olderThan: opts.olderThan, dryRun: Boolean(opts.dryRun) };
        const noWorker = () => noWorkerNotice(client, ctx.config.taskQueue, ctx.config.temporal.address);
        result = await runMaintenance<GcResult>(client, ctx.config.taskQueue, "collectGarbage", gcWorkflowId(dataset), input, `gc of ${dataset}`, noWorker);
      } finally {
        await ctx.close();
      }
      if (opts.json) return sayJson(result);
      printResult(result);
    });
}
