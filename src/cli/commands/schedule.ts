import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleSummary } from "@temporalio/client";
import { Option, type Command } from "commander";
import type { IngestInput } from "../../contracts";
import { validateDatasetId } from "../../definition/id";
import { TidemarkError } from "../../errors";
import { ingestWorkflowId } from "../../one-writer";
import { ingestRunSummary } from "../../run-summary";
import { withTemporal } from "../client";
import { formatDuration, parseDuration } from "../options";
import { say, sayJson, UsageError } from "../output";
import { scheduleSpecError } from "../schedule-spec";
import { textTable } from "../text-table";
import { DATASET_KEY } from "../runs";

/** A schedule command could not do what was asked. */
export class ScheduleError extends TidemarkError {}

const PREFIX = "tidemark/schedule/";

/** Id of the Temporal Schedule that ingests `dataset`. */
export function scheduleIdOf(dataset: string): string {
  return `${PREFIX}${dataset}`;
}

/** How a schedule of a dataset looks in `status`, `schedule list` and `--json`. */
export interface ScheduleView {
  dataset: string;
  scheduleId: string;
  spec: string;
  paused: boolean;
  note: string | null;
  nextRuns: string[];
  lastRun: string | null;
}

function specText(spec: ScheduleSummary["spec"], memo: Record<string, unknown> | undefined): string {
  const fromMemo = memo?.tidemark as { every?: string; cron?: string; timezone?: string } | undefined;
  if (fromMemo?.every) return `every ${fromMemo.every}`;
  if (fromMemo?.cron) return `cron "${fromMemo.cron}"${fromMemo.timezone ? ` ${fromMemo.timezone}` : ""}`;
  const every = spec?.intervals?.[0]?.every;
  return typeof every === "number" ? `every ${formatDuration(every)}` : "calendar";
}

function viewOf(dataset: string, s: ScheduleSummary | ScheduleDescription): ScheduleView {
  const recent = s.info.recentActions;
  return {
    dataset,
    scheduleId: s.scheduleId,
    spec: specText(s.spec, s.memo),
    paused: s.state.paused,
    note: s.state.note || null,
    nextRuns: s.info.nextActionTimes.map((d) => d.toISOString()),
    lastRun: recent.length > 0 ? recent[recent.length - 1].takenAt.toISOString() : null,
  };
}

/** The schedule of `dataset`, or null when it has none. */
export async function describeSchedule(client: Client, dataset: string): Promise<ScheduleView | null> {
  try {
    return viewOf(dataset, await client.schedule.getHandle(scheduleIdOf(dataset)).describe());
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

interface CreateOptions {
  every?: string;
  cron?: string;
  timezone?: string;
  catchupWindow: number;
  paused?: boolean;
  ifMissing?: boolean;
  json?: boolean;
}


function notFound(dataset: string): ScheduleError {
  return new ScheduleError(`Dataset ${dataset} has no schedule; create one with "tidemark schedule create ${dataset} --every 1h".`);
}

async function onSchedule(dataset: string, action: "pause" | "unpause" | "delete", json?: boolean): Promise<void> {
  validateDatasetId(dataset);
  await withTemporal(async (client) => {
    const handle = client.schedule.getHandle(scheduleIdOf(dataset));
    try {
      if (action === "pause") await handle.pause("paused with tidemark schedule pause");
      else if (action === "unpause") await handle.unpause("unpaused with tidemark schedule unpause");
      else await handle.delete();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw notFound(dataset);
      throw err;
    }
    const done = { pause: "paused", unpause: "unpaused", delete: "deleted" }[action];
    if (json) return sayJson({ dataset, scheduleId: scheduleIdOf(dataset), [done]: true });
    say(`${done} schedule ${scheduleIdOf(dataset)}`);
  });
}

async function create(dataset: string, opts: CreateOptions): Promise<void> {
  validateDatasetId(dataset);
  if ((opts.every === undefined) === (opts.cron === undefined)) {
    throw new UsageError('Give exactly one of --every (e.g. --every 1h) or --cron (e.g. --cron "0 6 * * *").');
  }
  if (opts.timezone && opts.cron === undefined) throw new UsageError("--timezone applies to --cron schedules only; drop it or use --cron.");
  await withTemporal(async (client, ctx) => {
    const input: IngestInput = { dataset };
    const scheduleId = scheduleIdOf(dataset);
    try {
      await client.schedule.create({
        scheduleId,
        spec: opts.every !== undefined ? { intervals: [{ every: parseDuration(opts.every) }] } : { cronExpressions: [opts.cron!], timezone: opts.timezone },
        action: {
          type: "startWorkflow",
          workflowType: "ingestDataset",
          workflowId: ingestWorkflowId(dataset),
          taskQueue: ctx.config.taskQueue,
          args: [input],
          typedSearchAttributes: [{ key: DATASET_KEY, value: dataset }],
          staticSummary: ingestRunSummary(dataset, { trigger: `schedule ${scheduleId}` }),
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: opts.catchupWindow },
        state: opts.paused ? { paused: true, note: "created paused with tidemark schedule create --paused" } : undefined,
        memo: { tidemark: { every: opts.every, cron: opts.cron, timezone: opts.timezone } },
      });
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning && opts.ifMissing) {
        const existing = await describeSchedule(client, dataset);
        if (opts.json) return sayJson(existing);
        return say(`schedule ${scheduleId} exists already (${existing?.spec ?? "unknown spec"}); left as it is`);
      }
      if (err instanceof ScheduleAlreadyRunning) {
        throw new ScheduleError(`Dataset ${dataset} already has schedule ${scheduleId}; delete it first with "tidemark schedule delete ${dataset}".`);
      }
      throw scheduleSpecError(err, opts);
    }
    const view = await describeSchedule(client, dataset);
    if (opts.json) return sayJson(view);
    say(`created schedule ${scheduleId}: ${view?.spec}${view?.paused ? ", paused" : ""}, catch-up window ${formatDuration(opts.catchupWindow)}`);
    if (view && !view.paused && view.nextRuns[0]) say(`next run ${view.nextRuns[0]}`);
    say(`see it with "temporal schedule list" or ${ctx.config.uiUrl}/namespaces/${encodeURIComponent(ctx.config.temporal.namespace)}/schedules`);
  });
}

async function list(json?: boolean): Promise<void> {
  await withTemporal(async (client) => {
    const views: ScheduleView[] = [];
    for await (const s of client.schedule.list()) {
      if (s.scheduleId.startsWith(PREFIX)) views.push(viewOf(s.scheduleId.slice(PREFIX.length), s));
    }
    views.sort((a, b) => a.dataset.localeCompare(b.dataset));
    if (json) return sayJson(views);
    if (views.length === 0) return say('no Tidemark schedules; create one with "tidemark schedule create <dataset> --every 1h"');
    say(textTable(["DATASET", "SPEC", "STATE", "NEXT RUN", "LAST RUN"], views.map((v) => [v.dataset, v.spec, v.paused ? "paused" : "active", v.paused ? "" : (v.nextRuns[0] ?? ""), v.lastRun ?? ""])));
  });
}

/** `tidemark schedule create|list|pause|unpause|delete`: Temporal Schedules that ingest a dataset. */
export function registerSchedule(program: Command): void {
  const schedule = program.command("schedule").description("Temporal Schedules that ingest datasets (ids tidemark/schedule/<dataset>)");
  schedule
    .command("create")
    .description("create a schedule that starts an ingest every interval or on a cron spec; overlapping runs are skipped")
    .argument("<dataset>", "dataset id")
    .option("--every <duration>", "interval, e.g. 30m, 1h, 1d", (v: string) => (parseDuration(v), v))
    .option("--cron <spec>", 'cron spec, e.g. "0 6 * * *"')
    .option("--timezone <tz>", "IANA time zone of the cron spec (default UTC)")
    .addOption(new Option("--catchup-window <duration>", "how late a missed run may still start after an outage").argParser(parseDuration).default(600_000, "10m"))
    .option("--paused", "create it paused")
    .option("--if-missing", "succeed without change when the dataset has a schedule already (deployment scripts)")
    .option("--json", "machine-readable output")
    .action((dataset: string, opts: CreateOptions) => create(dataset, opts));
  schedule
    .command("list")
    .description("list Tidemark schedules")
    .option("--json", "machine-readable output")
    .action((opts: { json?: boolean }) => list(opts.json));
  for (const action of ["pause", "unpause", "delete"] as const) {
    schedule
      .command(action)
      .description(`${action} the schedule of a dataset`)
      .argument("<dataset>", "dataset id")
      .option("--json", "machine-readable output")
      .action((dataset: string, opts: { json?: boolean }) => onSchedule(dataset, action, opts.json));
  }
}
