import { WorkflowFailedError } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rootFailure } from "../../src/cli/failure";
import { startPayment } from "../../src/ledger/payment-client";
import { paymentWorkflowId, validatePayment, type StuckPayment } from "../../src/ledger/payment";
import { TidemarkMetrics } from "../../src/observability/metrics";
import { startHttpServer } from "../support/http";
import { paymentResult, startPaymentBed, waitForStatus, type PaymentBed } from "./bed";

let bed: PaymentBed;
const metrics = new TidemarkMetrics({ processMetrics: false });
let hook: Awaited<ReturnType<typeof startHttpServer>>;
let stuckId: string;
let doneId: string;

beforeAll(async () => {
  bed = await startPaymentBed("paystuck", undefined, metrics);
  hook = await startHttpServer((_req, res) => {
    res.statusCode = 204;
    res.end();
  });
  await bed.ledger.createWallet("w", "EUR");
  await bed.ledger.credit("w", "seed", 1000, "EUR");
  doneId = bed.id("done");
  stuckId = bed.id("stuck");
  const request = (payment_id: string) => validatePayment({ payment_id, wallet: "w", amount: 10, currency: "EUR", ledger: bed.ledgerName, verify_window: "1h" });
  await startPayment(bed.client, bed.store, bed.taskQueue, request(doneId));
  expect(await paymentResult(bed, doneId)).toMatchObject({ status: "completed" });
  bed.sim.setFaults({ outage: true });
  await startPayment(bed.client, bed.store, bed.taskQueue, request(stuckId));
});

afterAll(async () => {
  await bed?.client.workflow.getHandle(paymentWorkflowId(stuckId)).terminate("test over").catch(() => {});
  await hook?.close();
  await bed?.stop();
});

let runs = 0;
const detect = (input: Record<string, unknown>) =>
  bed.client.workflow.execute("detectStuckPayments", { workflowId: `stuck-test-${bed.ledgerName}-${runs++}`, taskQueue: bed.taskQueue, args: [input] }) as Promise<StuckPayment[]>;

describe("detectStuckPayments", () => {
  it("reports a payment in doubt past stuck_after, with its status, to the result and the webhook", async () => {
    const state = await waitForStatus(bed, stuckId, (s) => s.step === "verify");
    expect(state).toMatchObject({ status: "pending", reason: expect.stringMatching(/^charge in doubt: .*503/) });
    const until = Date.now() + 30_000;
    let mine: StuckPayment[] = [];
    while (mine.length === 0 && Date.now() < until) {
      const found = await detect({ stuck_after: "1s", webhook_url: hook.url });
      mine = found.filter((p) => p.payment_id === stuckId || p.payment_id === doneId);
    }
    expect(mine).toEqual([{ payment_id: stuckId, status: "pending", started_at: expect.any(String), age_ms: expect.any(Number) }]);
    expect(mine[0].age_ms).toBeGreaterThanOrEqual(1000);
    expect(bed.sim.stats().faults.outage).toBeGreaterThan(0);
    const posted = hook.received.map((r) => JSON.parse(r.body) as { stuck_after_ms: number; payments: StuckPayment[] });
    expect(posted.at(-1)!.stuck_after_ms).toBe(1000);
    expect(posted.at(-1)!.payments.map((p) => p.payment_id)).toContain(stuckId);
    expect(posted.flatMap((p) => p.payments).map((p) => p.payment_id)).not.toContain(doneId);
    expect((await metrics.paymentsStuck.get()).values[0].value).toBeGreaterThanOrEqual(1);
  });

  it("still reports a payment whose workflow was terminated before it settled (its deduction stranded)", async () => {
    await waitForStatus(bed, stuckId, (s) => s.step === "verify");
    await bed.client.workflow.getHandle(paymentWorkflowId(stuckId)).terminate("test: an operator terminates the payment");
    expect((await bed.client.workflow.getHandle(paymentWorkflowId(stuckId)).describe()).status.name).toBe("TERMINATED");
    expect(await bed.ledger.show("w")).toMatchObject({ balance: 980 });
    const until = Date.now() + 30_000;
    let mine: StuckPayment[] = [];
    do {
      mine = (await detect({ stuck_after: "1s" })).filter((p) => p.payment_id === stuckId || p.payment_id === doneId);
    } while (mine.length === 0 && Date.now() < until && (await new Promise((r) => setTimeout(r, 250)), true));
    expect(mine).toEqual([{ payment_id: stuckId, status: "pending", started_at: expect.any(String), age_ms: expect.any(Number) }]);
  });

  it("no longer reports a terminated payment once a new run of its id settled it", async () => {
    const handle = bed.client.workflow.getHandle(paymentWorkflowId(stuckId));
    expect((await handle.describe()).status.name).toBe("TERMINATED");
    bed.sim.setFaults({ outage: false });
    await bed.client.workflow.start("payment", { workflowId: paymentWorkflowId(stuckId), taskQueue: bed.taskQueue, args: [{ payment_id: stuckId, wallet: "w", amount: 10, currency: "EUR", ledger: bed.ledgerName }] });
    expect(await paymentResult(bed, stuckId)).toMatchObject({ status: "completed" });
    expect(bed.sim.charges().filter((c) => c.idempotency_key === stuckId).map((c) => c.status)).toEqual(["succeeded"]);
    const until = Date.now() + 30_000;
    let runs: string[] = [];
    do {
      runs = [];
      for await (const info of bed.client.workflow.list({ query: `WorkflowId = '${paymentWorkflowId(stuckId)}'` })) runs.push(`${info.status.name} ${(info.memo as { status?: string } | undefined)?.status}`);
    } while (!runs.includes("COMPLETED completed") && Date.now() < until && (await new Promise((r) => setTimeout(r, 250)), true));
    expect(runs.sort()).toEqual(["COMPLETED completed", "TERMINATED pending"]);
    const mine = (await detect({ stuck_after: "1s" })).filter((p) => p.payment_id === stuckId);
    expect(mine).toEqual([]);
  });

  it("refuses a webhook URL that is not http(s)", async () => {
    const failure = await detect({ webhook_url: "ftp://127.0.0.1/x" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(rootFailure(failure)).toEqual({ type: "PaymentInputError", message: 'webhook_url "ftp://127.0.0.1/x" is invalid: use an http(s) URL without credentials.' });
  });
});
