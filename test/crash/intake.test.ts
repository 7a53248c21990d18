import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GcResult, VerifyResult } from "../../src/maintenance";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import type { WorkflowHandle } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { temporal } from "@temporalio/proto";
import { runLoad, type LoadResult } from "../../bench/intake/load";
import type { CrashWorker, KillPlan, KillRecord, WorkerExit } from "../support/crash-workers";
import { openDuck, rows } from "../support/duck";
import { lastWords } from "./drive";
import { intakeCrashBed, type IntakeCrashBed } from "./intake-bed";

/** Where the five worker kills land: inside a compaction's write, around its CAS, and in its deletion of consumed fragments. */
const WORKER_KILLS: KillPlan[] = [
  { kind: "point", point: "write:start" },
  { kind: "point", point: "publish:before-cas" },
  { kind: "point", point: "publish:end" },
  { kind: "write", step: "deleteConsumedFragments", n: 1, phase: "done" },
  { kind: "write", step: "prepare", n: 1, phase: "done" },
];

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
let bed: IntakeCrashBed;
let killsDone = false;
beforeAll(async () => {
  bed = await intakeCrashBed("pushcrash", "1s");
}, 180_000);
afterAll(async () => {
  await bed?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fails, with no retry delay, the started activity attempts of the compaction whose worker is one of
 * the `dead` processes, as Temporal would once their timeout passed (see failDeadAttempts in
 * drive.ts); checked again while the next plan waits and while the inbox drains, since a server that was restarted may only
 * report an attempt as started later. Attempts of the live worker are left alone.
 */
async function failAttemptsOf(handle: WorkflowHandle, dead: number[]): Promise<number> {
  const desc = await handle.describe();
  let failed = 0;
  for (const a of desc.raw.pendingActivities ?? []) {
    if (a.state !== STARTED || !a.activityId || !dead.some((pid) => a.lastWorkerIdentity?.startsWith(`${pid}@`))) continue;
    const failure = ApplicationFailure.create({ message: "the worker process running this attempt was killed", type: "WorkerProcessKilled", nextRetryDelay: "100ms" });
    await bed.client.activity.fail({ workflowId: handle.workflowId, runId: desc.runId, activityId: a.activityId }, failure).then(() => failed++, () => undefined);
  }
  return failed;
}

/** Runs the worker processes through the kill plans, one process per plan, then one that is never killed; fails if a plan has not fired by `deadline`. */
async function killWorkers(deadline: number): Promise<{ records: KillRecord[]; dead: number[]; last: CrashWorker }> {
  const records: KillRecord[] = [];
  const dead: number[] = [];
  const handle = bed.client.workflow.getHandle(ingestWorkflowId(bed.dataset));
  for (const plan of WORKER_KILLS) {
    const worker = await bed.workers.next(plan);
    const exit = await Promise.race([worker.exited, (async () => {
      for (let tick = 0; Date.now() < deadline && !killsDone; tick++) {
        if (tick % 10 === 0) await failAttemptsOf(handle, dead).catch(() => 0);
        await sleep(200);
      }
      return null;
    })()]);
    if (exit === null) {
      await reportIngest(handle, `kill plan ${JSON.stringify(plan)} pending at the deadline`);
      console.log(`[push-crash] the waiting worker's output ends: ${(await worker.stop()).stderr}`);
      throw new Error(`the worker kill ${JSON.stringify(plan)} did not fire in time (${records.length} of ${WORKER_KILLS.length} landed)`);
    }
    if (exit.signal !== "SIGKILL") throw new Error(`a crash worker ended on its own (${exit.signal ?? `code ${exit.code}`}): ${exit.stderr}`);
    records.push(lastWords(exit));
    dead.push(worker.pid);
    if (records.length === WORKER_KILLS.length) killsDone = true;
    const retargeted = exit.stderr.split("\n").filter((line) => line.includes("the plan targets the next write"));
    console.log(`[push-crash] worker kill ${records.length} at ${new Date().toISOString()}: ${records.at(-1)!.where}${retargeted.length > 0 ? ` (after: ${retargeted.join("; ")})` : ""}`);
    await failAttemptsOf(handle, dead).catch(() => 0);
  }
  return { records, dead, last: await bed.workers.next(null) };
}

/** Logs the ingest run's state (status, pending activities and workflow task, last events) and the inbox size, after `why`. */
async function reportIngest(handle: WorkflowHandle, why: string): Promise<void> {
  const desc = await handle.describe().catch((err: unknown) => ({ error: String(err) }));
  const state = "error" in desc ? desc : {
    runId: desc.runId,
    status: desc.status.name,
    pending: desc.raw.pendingActivities?.map((a) => ({ type: a.activityType?.name, attempt: a.attempt, state: a.state, worker: a.lastWorkerIdentity, failure: a.lastFailure?.message })),
    workflowTask: desc.raw.pendingWorkflowTask ? { state: desc.raw.pendingWorkflowTask.state, attempt: desc.raw.pendingWorkflowTask.attempt } : null,
  };
  console.log(`[push-crash] ${why}; inbox ${await inboxSize().catch(() => -1)} fragments; ingest ${JSON.stringify(state)}`);
  console.log(`[push-crash] last events of the ingest run: ${await lastEvents(handle).catch((err: unknown) => String(err))}`);
}

/** The last 15 events of the ingest run's history, one line each (type, id, time, any failure or local activity marker). */
async function lastEvents(handle: WorkflowHandle): Promise<string> {
  const history = await handle.fetchHistory();
  const Types = temporal.api.enums.v1.EventType;
  return (history.events ?? []).slice(-15).map((e) => {
    const failure = e.workflowTaskFailedEventAttributes?.failure?.message ?? e.activityTaskFailedEventAttributes?.failure?.message ?? e.activityTaskTimedOutEventAttributes?.failure?.message;
    const marker = e.markerRecordedEventAttributes?.markerName;
    const when = e.eventTime?.seconds ? new Date(Number(e.eventTime.seconds) * 1000).toISOString() : "";
    return `${e.eventId} ${Types[e.eventType ?? 0]} ${when}${failure ? ` (${failure})` : ""}${marker ? ` (${marker})` : ""}`;
  }).join("; ");
}

async function current(): Promise<VersionManifest> {
  const root = `datasets/${bed.dataset}/`;
  const pointer = parsePointer((await bed.store.get(`${root}current/manifest.json`)).body);
  return parseVersionManifest((await bed.store.get(root + pointer.manifest)).body);
}

async function inboxSize(): Promise<number> {
  let n = 0;
  for await (const _ of bed.store.list(`datasets/${bed.dataset}/inbox/`)) n++;
  return n;
}

/** id → times present in the current version, read back with DuckDB from downloaded projection files. */
async function publishedIds(m: VersionManifest): Promise<{ ids: Map<string, number>; rows: number }> {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-push-read-"));
  const files: string[] = [];
  for (const [i, entry] of Object.values(m.projections.latest).entries()) {
    for (const [j, f] of ((entry as { files?: { path: string }[] }).files ?? [entry as { path: string }]).entries()) {
      const local = join(dir, `${i}-${j}.parquet`);
      writeFileSync(local, (await bed.store.get(`datasets/${bed.dataset}/${f.path}`)).body);
      files.push(local);
    }
  }
  const duck = await openDuck();
  try {
    const got = await rows(duck.conn, `SELECT id, count(*)::INTEGER AS n FROM read_parquet([${files.map((f) => `'${f}'`).join(", ")}]) GROUP BY id`);
    return { ids: new Map(got.map((r) => [String(r.id), Number(r.n)])), rows: got.reduce((s, r) => s + Number(r.n), 0) };
  } finally {
    duck.close();
  }
}

describe("push intake under load with crashes [2 serve processes, crash workers, own Temporal (SQLite) and MinIO]", () => {
  it("keeps every acknowledged record exactly once through serve, worker, Temporal and MinIO failures", { timeout: 600_000 }, async () => {
    const loads = Promise.all(
      bed.serves.map((s) => runLoad({ url: s.url, dataset: bed.dataset, token: bed.token, clients: 2, batch: 20, records: 200_000, seconds: 60, requestTimeoutMs: 5000 })),
    );
    let killsSettled = false;
    const workerKills = killWorkers(Date.now() + 360_000).finally(() => (killsSettled = true));
    workerKills.catch(() => undefined);
    const chaos: string[] = [];
    const t0 = Date.now();
    const at = async (s: number, what: string, act: () => Promise<void>) => {
      await sleep(Math.max(0, t0 + s * 1000 - Date.now()));
      await act();
      chaos.push(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
      console.log(`[push-crash] ${chaos.at(-1)} (${new Date().toISOString()})`);
    };
    await at(4, "SIGKILL serve A", () => bed.serves[0].killAndRestart());
    await at(8, "SIGKILL serve B", () => bed.serves[1].killAndRestart());
    await at(12, "SIGKILL serve A", () => bed.serves[0].killAndRestart());
    await at(18, "SIGKILL the Temporal server, restart it", () => bed.restartTemporal());
    await at(24, "SIGKILL serve B", () => bed.serves[1].killAndRestart());
    await at(30, "MinIO stopped for 10 s", () => bed.pauseMinio(10_000));
    await at(44, "SIGKILL serve A", () => bed.serves[0].killAndRestart());
    const results: LoadResult[] = await loads;
    while (!killsDone && !killsSettled) {
      // compactions go on only while records arrive: a trickle until the last kill plan has fired
      results.push(await runLoad({ url: bed.serves[0].url, dataset: bed.dataset, token: bed.token, clients: 1, batch: 20, records: 40, seconds: 5, requestTimeoutMs: 5000 }));
      await sleep(500);
    }
    const { records: kills, dead, last } = await workerKills;
    let lastExit: WorkerExit | undefined;
    void last.exited.then((e) => (lastExit = e));
    console.log(`[push-crash] ${chaos.join("; ")}; worker kills: ${kills.map((k) => k.where).join("; ")}`);

    expect(bed.serves.reduce((n, s) => n + s.kills, 0)).toBe(5);
    expect(kills.map((k) => k.where)).toEqual([
      "at write:start", "at publish:before-cas", "at publish:end",
      expect.stringMatching(/^in deleteConsumedFragments at write 1 \(delete .*\/inbox\/.*, done\)$/),
      expect.stringMatching(/^in prepare at write 1 /),
    ]);
    const acknowledged = new Set(results.flatMap((r) => [...r.acknowledged.keys()]));
    const generated = new Set([...acknowledged, ...results.flatMap((r) => r.unacknowledged)]);
    const refused = results.reduce((n, r) => n + (r.statuses.error ?? 0) + (r.statuses["503"] ?? 0), 0);
    console.log(`[push-crash] acknowledged ${acknowledged.size} records; unacknowledged ${generated.size - acknowledged.size}; failed or refused requests ${refused}; statuses ${JSON.stringify(results.map((r) => r.statuses))}`);
    expect(refused).toBeGreaterThan(0);
    expect(acknowledged.size).toBeGreaterThan(1000);

    const settleFrom = Date.now();
    const handle = bed.client.workflow.getHandle(ingestWorkflowId(bed.dataset));
    let logged = -Infinity;
    for (let left = await inboxSize(); left > 0; left = await inboxSize()) {
      const waited = Date.now() - settleFrom;
      if (waited - logged >= 15_000) {
        console.log(`[push-crash] ${left} fragments in the inbox ${Math.round(waited / 1000)} s after the load`);
        logged = waited;
      }
      if (lastExit) throw new Error(`the worker that is never killed ended on its own (${lastExit.signal ?? `code ${lastExit.code}`}) with ${left} fragments in the inbox: ${lastExit.stderr}`);
      await failAttemptsOf(handle, dead).catch(() => 0);
      if (waited > 180_000) {
        await reportIngest(handle, "the inbox did not drain");
        for (const s of bed.serves) console.log(`[push-crash] serve on port ${s.port} output ends: ${s.tail()}`);
        console.log(`[push-crash] the live worker's output ends: ${(await last.stop()).stderr}`);
        throw new Error(`the inbox still holds ${left} fragments 180 s after the load`);
      }
      await sleep(500);
    }
    await handle.result().catch(() => undefined);

    const { ids, rows: total } = await publishedIds(await current());
    const missing = [...acknowledged].filter((id) => !ids.has(id));
    const twice = [...ids].filter(([, n]) => n > 1).map(([id]) => id);
    const strangers = [...ids.keys()].filter((id) => !generated.has(id));
    expect({ missing: missing.slice(0, 5), missingCount: missing.length, twice: twice.slice(0, 5), strangers: strangers.slice(0, 5) }).toEqual({ missing: [], missingCount: 0, twice: [], strangers: [] });
    expect(total).toBe(ids.size);

    const verify = (await bed.client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${bed.dataset}`, taskQueue: bed.taskQueue, args: [{ dataset: bed.dataset }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
    const gc = (await bed.client.workflow.execute("collectGarbage", { workflowId: `tidemark/gc/${bed.dataset}`, taskQueue: bed.taskQueue, args: [{ dataset: bed.dataset, olderThan: 0 }] })) as GcResult;
    const after = (await bed.client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${bed.dataset}-after-gc`, taskQueue: bed.taskQueue, args: [{ dataset: bed.dataset }] })) as VerifyResult;
    expect(after.findings).toEqual([]);
    expect((await publishedIds(await current())).ids.size).toBe(ids.size);
    console.log(`[push-crash] ${ids.size} keys published; gc deleted ${gc.deleted} unreferenced objects (${gc.keys.filter((k) => k.startsWith("inbox/")).length} inbox fragments); verify clean before and after`);
  });
});
