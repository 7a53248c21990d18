import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFromEnv } from "../../src/gateway/from-env";
import { PaymentConflictError } from "../../src/ledger/errors";
import { startPayment } from "../../src/ledger/payment-client";
import { paymentWorkflowId, validatePayment, verifyLedgerWorkflowId, type PaymentRequest } from "../../src/ledger/payment";
import type { LedgerVerifyResult } from "../../src/ledger/invariants";
import { paymentResult, startPaymentBed, waitForStatus, type PaymentBed } from "./bed";

let bed: PaymentBed;
beforeAll(async () => {
  bed = await startPaymentBed("payrerun");
});
afterAll(() => bed?.stop());

/** The dev server deletes an execution in the background; 20–30 s were seen on a loaded 2-core machine. */
const DELETE_WAIT_MS = 120_000;

/** Deletes a closed payment's workflow execution, as the namespace's retention eventually does, and waits until Temporal no longer knows it. */
async function forget(paymentId: string): Promise<void> {
  const workflowId = paymentWorkflowId(paymentId);
  await bed.client.workflowService.deleteWorkflowExecution({ namespace: bed.client.options.namespace, workflowExecution: { workflowId } });
  const until = Date.now() + DELETE_WAIT_MS;
  while (Date.now() < until) {
    const gone = await bed.client.workflow.getHandle(workflowId).describe().then(() => false, () => true);
    if (gone) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`workflow ${workflowId} was not deleted within ${DELETE_WAIT_MS} ms`);
}

const chargesOf = (key: string) => bed.sim.charges().filter((c) => c.idempotency_key === key);

/** Starts `request` with the gateway in outage until it waits in review, then terminates its run (the outage proven to have answered); returns the payment's handle. */
async function strandInReview(request: PaymentRequest) {
  const outagesBefore = bed.sim.stats().faults.outage;
  bed.sim.setFaults({ outage: true });
  try {
    await startPayment(bed.client, bed.store, bed.taskQueue, request);
    await waitForStatus(bed, request.payment_id, "requires_review");
  } finally {
    bed.sim.setFaults({ outage: false });
  }
  expect(bed.sim.stats().faults.outage).toBeGreaterThan(outagesBefore);
  const handle = bed.client.workflow.getHandle(paymentWorkflowId(request.payment_id));
  await handle.terminate("operator stopped it");
  expect((await handle.describe()).status.name).toBe("TERMINATED");
  return handle;
}

describe("a payment id started again after its workflow is gone (retention)", () => {
  it("a payment already charged is completed with that charge, not charged again, once the gateway has forgotten its idempotency key", { timeout: 240_000 }, async () => {
    await bed.ledger.createWallet("c", "EUR");
    await bed.ledger.credit("c", "seed", 1000, "EUR");
    const id = bed.id("charged");
    const request = validatePayment({ payment_id: id, wallet: "c", amount: 300, currency: "EUR", ledger: bed.ledgerName });
    await startPayment(bed.client, bed.store, bed.taskQueue, request);
    const first = await paymentResult(bed, id);
    expect(first).toMatchObject({ status: "completed" });
    expect(chargesOf(id)).toHaveLength(1);
    await forget(id);
    expect(bed.sim.expireIdempotencyKeys()).toBeGreaterThan(0);

    expect(await startPayment(bed.client, bed.store, bed.taskQueue, request)).toMatchObject({ started: true });
    const again = await paymentResult(bed, id);
    expect(chargesOf(id)).toHaveLength(1);
    expect(again).toMatchObject({ status: "completed", charge_id: first.charge_id });
    expect(await bed.ledger.show("c")).toMatchObject({ balance: 700 });
    const verified: LedgerVerifyResult = await bed.client.workflow.execute("verifyLedger", { workflowId: verifyLedgerWorkflowId(bed.ledgerName), taskQueue: bed.taskQueue, args: [{ ledger: bed.ledgerName }] });
    expect(verified.findings).toEqual([]);
  });

  it("a payment already refunded is not charged by the new run", { timeout: 240_000 }, async () => {
    await bed.ledger.createWallet("w", "EUR");
    await bed.ledger.credit("w", "seed", 1000, "EUR");
    const id = bed.id("again");
    const request = validatePayment({ payment_id: id, wallet: "w", amount: 400, currency: "EUR", ledger: bed.ledgerName, verify_window: "1s" });
    const outagesBefore = bed.sim.stats().faults.outage;
    bed.sim.setFaults({ outage: true });
    try {
      await startPayment(bed.client, bed.store, bed.taskQueue, request);
      await waitForStatus(bed, id, "requires_review");
    } finally {
      bed.sim.setFaults({ outage: false });
    }
    expect(bed.sim.stats().faults.outage).toBeGreaterThan(outagesBefore);
    await bed.client.workflow.getHandle(paymentWorkflowId(id)).executeUpdate("resolve", { args: [{ charged: false }] });
    expect(await paymentResult(bed, id)).toMatchObject({ status: "failed", resolution: "not_charged" });
    expect(await bed.ledger.show("w")).toMatchObject({ balance: 1000 });
    await forget(id);

    expect(await startPayment(bed.client, bed.store, bed.taskQueue, request)).toMatchObject({ started: true });
    const final = await paymentResult(bed, id);
    expect(chargesOf(id)).toEqual([]);
    expect(final).toMatchObject({ status: "failed", reason: expect.stringMatching(/^payment \S+ was deducted and refunded by an earlier run \(wallet w, event 3\), so it is not charged again; use a new payment id$/) });
    expect(await bed.ledger.show("w")).toMatchObject({ balance: 1000, seq: 4 });
    const verified: LedgerVerifyResult = await bed.client.workflow.execute("verifyLedger", { workflowId: verifyLedgerWorkflowId(bed.ledgerName), taskQueue: bed.taskQueue, args: [{ ledger: bed.ledgerName }] });
    expect(verified.findings).toEqual([]);
  });

  it("a payment whose earlier charge was refunded at the gateway is not completed with that charge", { timeout: 240_000 }, async () => {
    await bed.ledger.createWallet("r", "EUR");
    await bed.ledger.credit("r", "seed", 1000, "EUR");
    const id = bed.id("refunded");
    const request = validatePayment({ payment_id: id, wallet: "r", amount: 250, currency: "EUR", ledger: bed.ledgerName });
    await startPayment(bed.client, bed.store, bed.taskQueue, request);
    expect(await paymentResult(bed, id)).toMatchObject({ status: "completed" });
    expect(await gatewayFromEnv({ TIDEMARK_GATEWAY_URL: bed.sim.url }).refund(id)).toEqual({ outcome: "refunded" });
    expect(chargesOf(id).map((c) => c.status)).toEqual(["refunded"]);
    await forget(id);

    expect(await startPayment(bed.client, bed.store, bed.taskQueue, request)).toMatchObject({ started: true });
    const final = await paymentResult(bed, id);
    expect(chargesOf(id).map((c) => c.status)).toEqual(["refunded"]);
    expect(final).toMatchObject({ status: "failed" });
    expect(final.charge_id).toBeUndefined();
    expect((await bed.ledger.readRecord("r")).events.map((e) => e.op_id)).toEqual(["create", "seed:credit", `${id}:deduct`, `${id}:refund`]);
    expect(await bed.ledger.show("r")).toMatchObject({ balance: 1000 });
  });

  it("a payment whose run was terminated before it settled is started again by the same request, and settles without a second deduction", { timeout: 240_000 }, async () => {
    await bed.ledger.createWallet("t", "EUR");
    await bed.ledger.credit("t", "seed", 1000, "EUR");
    const id = bed.id("terminated");
    const request = validatePayment({ payment_id: id, wallet: "t", amount: 400, currency: "EUR", ledger: bed.ledgerName, verify_window: "1s" });
    const handle = await strandInReview(request);
    const firstRun = (await handle.describe()).runId;
    expect(await bed.ledger.show("t")).toMatchObject({ balance: 600 });
    const verifyLedger = async () =>
      ((await bed.client.workflow.execute("verifyLedger", { workflowId: verifyLedgerWorkflowId(bed.ledgerName), taskQueue: bed.taskQueue, args: [{ ledger: bed.ledgerName }] })) as LedgerVerifyResult).findings.filter((f) => f.object === id);
    expect(await verifyLedger()).toEqual([{
      check: "stranded",
      object: id,
      problem: `400 EUR deducted from t is neither charged nor refunded, and its payment's last run ended before it settled; start the payment again with its parameters ("tidemark payments start ${id} --wallet t --amount 400 --currency EUR --ledger ${bed.ledgerName}") so it settles`,
    }]);

    const again = await startPayment(bed.client, bed.store, bed.taskQueue, request);
    expect(again).toMatchObject({ started: true, status: "pending" });
    expect((await handle.describe()).runId).not.toBe(firstRun);
    expect(await paymentResult(bed, id)).toMatchObject({ status: "completed" });
    expect(chargesOf(id)).toHaveLength(1);
    expect(await bed.ledger.show("t")).toMatchObject({ balance: 600, seq: 3 });
    expect(await verifyLedger()).toEqual([]);
    expect(await startPayment(bed.client, bed.store, bed.taskQueue, request)).toMatchObject({ started: false, status: "completed" });
  });

  it("a terminated, unsettled payment started again with other parameters is refused before anything runs; its own parameters settle it", { timeout: 240_000 }, async () => {
    await bed.ledger.createWallet("o", "EUR");
    await bed.ledger.credit("o", "seed", 1000, "EUR");
    await bed.ledger.createWallet("o2", "EUR");
    await bed.ledger.credit("o2", "seed", 1000, "EUR");
    const id = bed.id("other-params");
    const request = validatePayment({ payment_id: id, wallet: "o", amount: 300, currency: "EUR", ledger: bed.ledgerName, verify_window: "1s" });
    const handle = await strandInReview(request);
    const terminatedRun = (await handle.describe()).runId;
    expect(await bed.ledger.show("o")).toMatchObject({ balance: 700 });

    for (const other of [{ wallet: "o", amount: 200 }, { wallet: "o2", amount: 300 }]) {
      const refused = await startPayment(bed.client, bed.store, bed.taskQueue, { ...request, ...other }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(PaymentConflictError);
      expect((refused as Error).message).toMatch(/already exists with other parameters \(300 EUR from wallet o in ledger .*\) and its run ended before it settled; start it again with those parameters/);
    }
    expect((await handle.describe()).runId).toBe(terminatedRun);
    expect(await bed.ledger.show("o2")).toMatchObject({ balance: 1000, seq: 2 });

    await bed.client.workflow.start("payment", { workflowId: paymentWorkflowId(id), taskQueue: bed.taskQueue, args: [{ payment_id: id, wallet: "o", amount: 200, currency: "EUR", ledger: bed.ledgerName }] });
    expect(await paymentResult(bed, id)).toMatchObject({
      status: "failed",
      reason: expect.stringMatching(/^wallet o already holds a deduction of payment .* with other parameters, made by an earlier run; nothing more was deducted: start the payment again with its original parameters/),
    });
    expect(await bed.ledger.show("o")).toMatchObject({ balance: 700 });

    await bed.client.workflow.start("payment", { workflowId: paymentWorkflowId(id), taskQueue: bed.taskQueue, args: [{ payment_id: id, wallet: "o", amount: 300, currency: "EUR", ledger: bed.ledgerName }] });
    expect(await paymentResult(bed, id)).toMatchObject({ status: "completed" });
    expect(chargesOf(id).map((c) => `${c.status} ${c.amount}`)).toEqual(["succeeded 300"]);
    expect(await bed.ledger.show("o")).toMatchObject({ balance: 700, seq: 3 });
  });
});
