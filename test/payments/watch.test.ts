import { ScheduleNotFoundError, type ScheduleDescription } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STUCK_PAYMENTS_SCHEDULE_ID } from "../../src/cli/commands/payments-watch";
import { startPayment } from "../../src/ledger/payment-client";
import { paymentWorkflowId, STUCK_PAYMENTS_WORKFLOW_ID, validatePayment, type StuckPayment } from "../../src/ledger/payment";
import { eventually, runCli } from "../cli/helpers";
import { startHttpServer } from "../support/http";
import { startPaymentBed, waitForStatus, type PaymentBed } from "./bed";

const ID = "tidemark/watch/stuck-payments";
let bed: PaymentBed;
let hook: Awaited<ReturnType<typeof startHttpServer>>;
let stuckId: string;

const schedule = () => bed.client.schedule.getHandle(ID);
const drop = () => schedule().delete().catch((err: unknown) => (err instanceof ScheduleNotFoundError ? undefined : Promise.reject(err)));

beforeAll(async () => {
  bed = await startPaymentBed("paywatch");
  await drop();
  hook = await startHttpServer((_req, res) => {
    res.statusCode = 204;
    res.end();
  });
  await bed.ledger.createWallet("w", "EUR");
  await bed.ledger.credit("w", "seed", 1000, "EUR");
  stuckId = bed.id("stuck");
  bed.sim.setFaults({ outage: true });
  await startPayment(bed.client, bed.store, bed.taskQueue, validatePayment({ payment_id: stuckId, wallet: "w", amount: 10, currency: "EUR", ledger: bed.ledgerName, verify_window: "1h" }));
  await waitForStatus(bed, stuckId, (s) => s.step === "verify");
});

afterAll(async () => {
  if (bed) await drop();
  await bed?.client.workflow.getHandle(paymentWorkflowId(stuckId)).terminate("test over").catch(() => {});
  await hook?.close();
  await bed?.stop();
});

/** Triggers the schedule now and returns the result of the detectStuckPayments run it started. */
async function triggerAndWait(): Promise<StuckPayment[]> {
  const before = (await schedule().describe()).info.numActionsTaken;
  await schedule().trigger();
  const action = await eventually(async () => {
    const d = await schedule().describe();
    return d.info.numActionsTaken > before ? d.info.recentActions.at(-1)!.action : undefined;
  }, 30_000, "the schedule's triggered action");
  // A Schedule appends the scheduled time to the workflow id of each run it starts.
  expect(action.workflow.workflowId).toMatch(new RegExp(`^${STUCK_PAYMENTS_WORKFLOW_ID}-\\d{4}-\\d\\d-\\d\\dT`));
  const handle = bed.client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId);
  expect((await handle.describe()).type).toBe("detectStuckPayments");
  return handle.result() as Promise<StuckPayment[]>;
}

const shape = (d: ScheduleDescription) => ({ every: d.spec.intervals?.map((i) => i.every), action: { workflowType: d.action.workflowType, workflowId: d.action.workflowId, taskQueue: d.action.taskQueue, args: d.action.args }, overlap: d.policies.overlap, paused: d.state.paused, memo: d.memo });

describe("payments watch / unwatch (one schedule id for the whole namespace: run in order)", () => {
  let created: ReturnType<typeof shape>;

  it("creates the schedule of detectStuckPayments, whose triggered run reports a payment in doubt", async () => {
    expect(STUCK_PAYMENTS_SCHEDULE_ID).toBe(ID);
    const run = await runCli(["payments", "watch", "--every", "1h", "--stuck-after", "1s", "--json"], bed.env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ scheduleId: ID, every: "1h", stuck_after: "1s", webhook_url: null, paused: false, workflowId: STUCK_PAYMENTS_WORKFLOW_ID, taskQueue: bed.taskQueue, created: true });
    created = shape(await schedule().describe());
    expect(created).toEqual({
      every: [3_600_000],
      action: { workflowType: "detectStuckPayments", workflowId: STUCK_PAYMENTS_WORKFLOW_ID, taskQueue: bed.taskQueue, args: [{ stuck_after: "1s" }] },
      overlap: "SKIP", paused: false, memo: { tidemark: { every: "1h", stuck_after: "1s" } },
    });
    // Visibility lists the payment a moment after it starts: trigger again until a run has seen it (bounded).
    const until = Date.now() + 30_000;
    let mine: StuckPayment[] = [];
    do mine = (await triggerAndWait()).filter((p) => p.payment_id === stuckId);
    while (mine.length === 0 && Date.now() < until && (await new Promise((r) => setTimeout(r, 500)), true));
    expect(mine).toEqual([{ payment_id: stuckId, status: "pending", started_at: expect.any(String), age_ms: expect.any(Number) }]);
    expect((await runCli(["schedule", "list", "--json"], bed.env)).stdout).not.toContain(ID);
  });

  it("refuses a second schedule in one sentence; --if-missing leaves the first as it is", async () => {
    const again = await runCli(["payments", "watch"], bed.env);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe("");
    expect(again.stderr).toBe(`tidemark: Schedule ${ID} exists already; delete it first with "tidemark payments unwatch" (or pass --if-missing to keep it).\n`);
    const kept = await runCli(["payments", "watch", "--every", "2m", "--stuck-after", "10m", "--if-missing"], bed.env);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toBe(`schedule ${ID} exists already (every 1h, stuck after 1s); left as it is\n`);
    expect(shape(await schedule().describe())).toEqual(created);
  });

  it("unwatch deletes it; a second unwatch says there is none", async () => {
    const run = await runCli(["payments", "unwatch", "--json"], bed.env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ scheduleId: ID, deleted: true });
    await expect(schedule().describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    const again = await runCli(["payments", "unwatch"], bed.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`tidemark: There is no schedule ${ID} to delete; create one with "tidemark payments watch".\n`);
  });

  it.each([
    [["--every", "soon"], 2, '--every "soon" is not a duration; give one such as "30s", "5m" or "1h".'],
    [["--stuck-after", "1h30m"], 2, '--stuck-after "1h30m" is not accepted by detectStuckPayments, which takes one number and unit (ms, s, m or h); give e.g. "5m" or "2h".'],
    [["--webhook", "ftp://x"], 2, '--webhook "ftp://x" is not an http:// or https:// URL without ${NAME} references; give the URL stuck payments are posted to, e.g. https://hooks.example.com/tidemark.'],
    [["--webhook", "https://host/hook?token=abc"], 1, `--webhook carries a literal credential (the query parameter "token"); give a webhook URL without secrets (keep them in a receiver or proxy of your own), because the URL is stored in the schedule's action and in every run's history.`],
    [["--webhook", "https://bot:hunter2@host/hook"], 1, `--webhook carries a literal credential (a password in its user info); give a webhook URL without secrets (keep them in a receiver or proxy of your own), because the URL is stored in the schedule's action and in every run's history.`],
  ])("refuses %j in one sentence and creates nothing", async (flags, code, message) => {
    const run = await runCli(["payments", "watch", ...flags], { ...bed.env, TEMPORAL_ADDRESS: "127.0.0.1:1" });
    expect(run.code, run.stderr).toBe(code);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`tidemark: ${message}\n`);
    await expect(schedule().describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it("a schedule with --webhook posts the stuck payments there; --paused creates it paused", async () => {
    const run = await runCli(["payments", "watch", "--every", "1h", "--stuck-after", "1s", "--webhook", `${hook.url}/stuck`], bed.env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^created schedule ${ID}: every 1h, stuck after 1s, webhook set \\(detectStuckPayments, runs ${STUCK_PAYMENTS_WORKFLOW_ID}-<time>, task queue ${bed.taskQueue}\\)\nnext run \\S+\nsee it with "temporal schedule list" or http`));
    expect((await schedule().describe()).action.args).toEqual([{ stuck_after: "1s", webhook_url: `${hook.url}/stuck` }]);
    await triggerAndWait();
    const posted = hook.received.map((r) => ({ url: r.url, body: JSON.parse(r.body) as { stuck_after_ms: number; payments: StuckPayment[] } }));
    expect(posted.at(-1)!.url).toBe("/stuck");
    expect(posted.at(-1)!.body.stuck_after_ms).toBe(1000);
    expect(posted.at(-1)!.body.payments.map((p) => p.payment_id)).toContain(stuckId);
    expect((await runCli(["payments", "unwatch"], bed.env)).stdout).toBe(`deleted schedule ${ID}\n`);

    const paused = await runCli(["payments", "watch", "--paused", "--json"], bed.env);
    expect(paused.code, paused.stderr).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({ every: "5m", stuck_after: "5m", paused: true, created: true });
    const d = await schedule().describe();
    expect(shape(d)).toMatchObject({ every: [300_000], paused: true, action: { args: [{ stuck_after: "5m" }] } });
    expect(d.state.note).toBe("created paused with tidemark payments watch --paused");
  });
});
