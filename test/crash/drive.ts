import type { Client, WorkflowHandle } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { temporal } from "@temporalio/proto";
import type { CrashWorker, CrashWorkers, KillPlan, KillRecord, WorkerExit } from "../support/crash-workers";

/** One SIGKILL a worker process took, and where its own last words say it died. */
export interface Kill {
  plan: KillPlan;
  where: string;
  /** The worker's own record of the kill: activity, writes in flight, what it left. */
  record: KillRecord;
  /** Milliseconds since the drive started. */
  atMs: number;
}

/** How a driven workflow ended: its result, the kills on the way, and the worker left running. */
export interface Driven<T> {
  result: T;
  kills: Kill[];
  worker: CrashWorker;
}

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

/**
 * Fails the activity attempts of `handle` that were running on a worker process that is now dead,
 * with a retryable failure and no retry delay. Temporal would fail them itself once their heartbeat
 * (15 s) or start-to-close (2 min) timeout passed; doing it now keeps each kill cheap without
 * changing what happens next: the activity is retried on a live worker, exactly as after a timeout.
 */
export async function failDeadAttempts(client: Client, handle: WorkflowHandle): Promise<number> {
  const desc = await handle.describe();
  let failed = 0;
  for (const pending of desc.raw.pendingActivities ?? []) {
    if (pending.state !== STARTED || !pending.activityId) continue;
    const failure = ApplicationFailure.create({ message: "the worker process running this attempt was killed", type: "WorkerProcessKilled", nextRetryDelay: "100ms" });
    try {
      await client.activity.fail({ workflowId: handle.workflowId, runId: desc.runId, activityId: pending.activityId }, failure);
      failed++;
    } catch (err) {
      if ((err as Error).name !== "ActivityNotFoundError") throw err;
    }
  }
  return failed;
}

/** The kill record a SIGKILLed crash worker wrote to stderr just before it died. */
export function lastWords(exit: WorkerExit): KillRecord {
  const line = exit.stderr.split("\n").filter((l) => /^crash-worker \d+: SIGKILL \{/.test(l)).at(-1);
  if (!line) throw new Error(`a crash worker was SIGKILLed without saying where: ${exit.stderr}`);
  return JSON.parse(line.replace(/^crash-worker \d+: SIGKILL /, "")) as KillRecord;
}

/**
 * Runs `handle` to its end on crash worker processes: the first follows `plans[0]`; each time one
 * is SIGKILLed the next starts with the next plan (null once the plans are used up) and the dead
 * process's attempts are failed at once (see {@link failDeadAttempts}). A point or write plan that
 * never fires fails the drive; a timer that does not fire before the end is simply not counted.
 * `onKill` runs after each kill before another worker polls (the store is as the kill left it).
 * `expedite: false` leaves the dead attempts to Temporal's own timeouts.
 */
export async function driveWithKills<T>(
  client: Client,
  workers: CrashWorkers,
  handle: WorkflowHandle,
  first: CrashWorker,
  plans: KillPlan[],
  { expedite = true, onKill }: { expedite?: boolean; onKill?: (kill: Kill) => Promise<void> } = {},
): Promise<Driven<T>> {
  const result = handle.result() as Promise<T>;
  result.catch(() => {});
  const kills: Kill[] = [];
  const started = Date.now();
  let worker = first;
  for (;;) {
    const next = await Promise.race([result.then((value) => ({ value })), worker.exited.then((exit) => ({ exit }))]);
    if ("value" in next) {
      if (worker.plan?.kind === "point" || worker.plan?.kind === "write" || worker.plan?.kind === "mid-write") throw new Error(`the run ended but the kill plan ${JSON.stringify(worker.plan)} never fired`);
      if (worker.plan?.kind === "timer") {
        await worker.stop();
        worker = await workers.next(null);
      }
      return { result: next.value, kills, worker };
    }
    const { exit } = next;
    if (exit.signal !== "SIGKILL") throw new Error(`a crash worker ended on its own (${exit.signal ?? `code ${exit.code}`}): ${exit.stderr}`);
    const record = lastWords(exit);
    const kill = { plan: worker.plan, where: record.where, record, atMs: Date.now() - started };
    kills.push(kill);
    await onKill?.(kill);
    worker = await workers.next(plans[kills.length] ?? null);
    if (expedite) await failDeadAttempts(client, handle);
  }
}
