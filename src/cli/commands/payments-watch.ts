import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleDescription } from "@temporalio/client";
import type { Command } from "commander";
import { literalCredential } from "../../definition/credentials";
import { TidemarkError } from "../../errors";
import { STUCK_PAYMENTS_WORKFLOW_ID, validateStuckInput, type StuckPaymentsInput } from "../../ledger/payment";
import { withTemporal } from "../client";
import { parseDuration } from "../options";
import { say, sayJson, UsageError } from "../output";
import { scheduleSpecError } from "../schedule-spec";

/** `payments watch` / `unwatch` could not do what was asked (schedule there already or missing, a credential in --webhook). */
export class PaymentsWatchError extends TidemarkError {}

/** Id of the Temporal Schedule that runs `detectStuckPayments` (not under `tidemark/schedule/`, which holds dataset schedules). */
export const STUCK_PAYMENTS_SCHEDULE_ID = "tidemark/watch/stuck-payments";

/** How the stuck-payment schedule looks in `--json`. */
export interface PaymentsWatchView {
  scheduleId: string;
  every: string | null;
  stuck_after: string | null;
  webhook_url: string | null;
  paused: boolean;
  nextRuns: string[];
  lastRun: string | null;
  workflowId: string;
  taskQueue: string;
}

interface WatchOptions {
  every: string;
  stuckAfter: string;
  webhook?: string;
  paused?: boolean;
  ifMissing?: boolean;
  json?: boolean;
}

/** Runs `check`; when it throws, throws a usage error saying `message` instead. */
function refuse(check: () => unknown, message: string): void {
  try {
    check();
  } catch {
    throw new UsageError(message);
  }
}

/** The detection's input from the flags, checked as `detectStuckPayments` will check it; throws before anything reaches Temporal. */
function watchInput(opts: WatchOptions): StuckPaymentsInput {
  for (const [flag, value] of [["--every", opts.every], ["--stuck-after", opts.stuckAfter]]) {
    refuse(() => parseDuration(value), `${flag} ${JSON.stringify(value)} is not a duration; give one such as "30s", "5m" or "1h".`);
  }
  refuse(() => validateStuckInput({ stuck_after: opts.stuckAfter }), `--stuck-after ${JSON.stringify(opts.stuckAfter)} is not accepted by detectStuckPayments, which takes one number and unit (ms, s, m or h); give e.g. "5m" or "2h".`);
  const url = opts.webhook;
  if (url === undefined) return { stuck_after: opts.stuckAfter };
  const secret = literalCredential(url);
  if (secret) {
    throw new PaymentsWatchError(`--webhook carries a literal credential (${secret}); give a webhook URL without secrets (keep them in a receiver or proxy of your own), because the URL is stored in the schedule's action and in every run's history.`);
  }
  if (!/^https?:\/\/[^/?#\s]/i.test(url) || url.includes("${")) {
    throw new UsageError(`--webhook ${JSON.stringify(url)} is not an http:// or https:// URL without \${NAME} references; give the URL stuck payments are posted to, e.g. https://hooks.example.com/tidemark.`);
  }
  refuse(() => validateStuckInput({ webhook_url: url }), `--webhook ${JSON.stringify(url)} is invalid: use an http(s) URL without credentials or spaces.`);
  return { stuck_after: opts.stuckAfter, webhook_url: url };
}

function viewOf(d: ScheduleDescription): PaymentsWatchView {
  const memo = d.memo?.tidemark as { every?: string; stuck_after?: string } | undefined;
  const input = (d.action.args?.[0] ?? {}) as StuckPaymentsInput;
  const recent = d.info.recentActions;
  return {
    scheduleId: d.scheduleId,
    every: memo?.every ?? null,
    stuck_after: input.stuck_after === undefined ? null : String(input.stuck_after),
    webhook_url: input.webhook_url ?? null,
    paused: d.state.paused,
    nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
    lastRun: recent.length > 0 ? recent[recent.length - 1].takenAt.toISOString() : null,
    workflowId: d.action.workflowId,
    taskQueue: d.action.taskQueue,
  };
}

const specText = (v: PaymentsWatchView) => `every ${v.every ?? "?"}, stuck after ${v.stuck_after ?? "5m"}${v.webhook_url ? ", webhook set" : ""}${v.paused ? ", paused" : ""}`;


async function watch(opts: WatchOptions): Promise<void> {
  const input = watchInput(opts);
  await withTemporal(async (client, ctx) => {
    const handle = client.schedule.getHandle(STUCK_PAYMENTS_SCHEDULE_ID);
    try {
      await client.schedule.create({
        scheduleId: STUCK_PAYMENTS_SCHEDULE_ID,
        spec: { intervals: [{ every: parseDuration(opts.every) }] },
        action: { type: "startWorkflow", workflowType: "detectStuckPayments", workflowId: STUCK_PAYMENTS_WORKFLOW_ID, taskQueue: ctx.config.taskQueue, args: [input], staticSummary: `report payments not settled after ${opts.stuckAfter}` },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
        state: opts.paused ? { paused: true, note: "created paused with tidemark payments watch --paused" } : undefined,
        memo: { tidemark: { every: opts.every, stuck_after: opts.stuckAfter } },
      });
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning && opts.ifMissing) {
        const existing = viewOf(await handle.describe());
        if (opts.json) return sayJson({ ...existing, created: false });
        return say(`schedule ${STUCK_PAYMENTS_SCHEDULE_ID} exists already (${specText(existing)}); left as it is`);
      }
      if (err instanceof ScheduleAlreadyRunning) {
        throw new PaymentsWatchError(`Schedule ${STUCK_PAYMENTS_SCHEDULE_ID} exists already; delete it first with "tidemark payments unwatch" (or pass --if-missing to keep it).`);
      }
      throw scheduleSpecError(err, { every: opts.every });
    }
    const view = viewOf(await handle.describe());
    if (opts.json) return sayJson({ ...view, created: true });
    say(`created schedule ${STUCK_PAYMENTS_SCHEDULE_ID}: ${specText(view)} (detectStuckPayments, runs ${STUCK_PAYMENTS_WORKFLOW_ID}-<time>, task queue ${view.taskQueue})`);
    if (!view.paused && view.nextRuns[0]) say(`next run ${view.nextRuns[0]}`);
    say(`see it with "temporal schedule list" or ${ctx.config.uiUrl}/namespaces/${encodeURIComponent(ctx.config.temporal.namespace)}/schedules`);
  });
}

async function unwatch(json?: boolean): Promise<void> {
  await withTemporal(async (client) => {
    try {
      await client.schedule.getHandle(STUCK_PAYMENTS_SCHEDULE_ID).delete();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new PaymentsWatchError(`There is no schedule ${STUCK_PAYMENTS_SCHEDULE_ID} to delete; create one with "tidemark payments watch".`);
      throw err;
    }
    if (json) return sayJson({ scheduleId: STUCK_PAYMENTS_SCHEDULE_ID, deleted: true });
    say(`deleted schedule ${STUCK_PAYMENTS_SCHEDULE_ID}`);
  });
}

/** `tidemark payments watch|unwatch`: the Temporal Schedule that runs `detectStuckPayments` (SPEC §12). */
export function registerPaymentsWatch(payments: Command): void {
  payments
    .command("watch")
    .description(`create the Schedule ${STUCK_PAYMENTS_SCHEDULE_ID} that runs detectStuckPayments every interval; overlapping runs are skipped`)
    .option("--every <duration>", "how often to look, e.g. 1m, 5m, 1h", "5m")
    .option("--stuck-after <duration>", "how long a payment may run before it is reported", "5m")
    .option("--webhook <url>", "http(s) URL the stuck payments are posted to (no credentials: it is stored in every run's history)")
    .option("--paused", "create it paused")
    .option("--if-missing", "succeed without change when the schedule exists already (deployment scripts)")
    .option("--json", "machine-readable output")
    .action((opts: WatchOptions) => watch(opts));
  payments
    .command("unwatch")
    .description(`delete the Schedule ${STUCK_PAYMENTS_SCHEDULE_ID}`)
    .option("--json", "machine-readable output")
    .action((opts: { json?: boolean }) => unwatch(opts.json));
}
