import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPayment } from "../../src/ledger/payment-client";
import { paymentWorkflowId, validatePayment, verifyLedgerWorkflowId } from "../../src/ledger/payment";
import { paymentResult, startPaymentBed, waitForStatus, type PaymentBed } from "./bed";

let bed: PaymentBed;
let holdDeduct: Promise<void> | undefined;
let holdCharge: Promise<void> | undefined;
let holdChargeStart: Promise<void> | undefined;
const reached: string[] = [];
beforeAll(async () => {
  bed = await startPaymentBed("paycancel", async (point) => {
    const hold = point === "deductWallet:end" ? holdDeduct : point === "chargeGateway:end" ? holdCharge : point === "chargeGateway:start" ? holdChargeStart : undefined;
    if (!hold) return;
    reached.push(point);
    await hold;
  });
});

async function reach(point: string): Promise<void> {
  const until = Date.now() + 30_000;
  while (!reached.includes(point) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  expect(reached).toContain(point);
}
afterAll(() => bed?.stop());

async function start(paymentId: string, wallet: string, amount: number, verifyWindow?: string) {
  await startPayment(bed.client, bed.store, bed.taskQueue, validatePayment({ payment_id: paymentId, wallet, amount, currency: "EUR", ledger: bed.ledgerName, verify_window: verifyWindow }));
}

async function wallet(name: string, balance: number): Promise<void> {
  await bed.ledger.createWallet(name, "EUR");
  await bed.ledger.credit(name, `${name}-seed`, balance, "EUR");
}

const chargesOf = (key: string) => bed.sim.charges().filter((c) => c.idempotency_key === key);

describe("a cancel request never strands a payment's money", () => {
  it("cancelled while its charge is in doubt: keeps verifying and settles, charged once", async () => {
    await wallet("doubt", 1000);
    const id = bed.id("doubt");
    const outagesBefore = bed.sim.stats().faults.outage;
    bed.sim.setFaults({ outage: true });
    try {
      await start(id, "doubt", 100, "1h");
      await waitForStatus(bed, id, (s) => s.step === "verify");
      await bed.client.workflow.getHandle(paymentWorkflowId(id)).cancel();
    } finally {
      bed.sim.setFaults({ outage: false });
    }
    expect(bed.sim.stats().faults.outage).toBeGreaterThan(outagesBefore);
    expect(await paymentResult(bed, id)).toMatchObject({ status: "completed" });
    expect(chargesOf(id).map((c) => `${c.status} ${c.amount}`)).toEqual(["succeeded 100"]);
    expect(await bed.ledger.show("doubt")).toMatchObject({ balance: 900 });
  });

  it("cancelled before its charge is sent: refunded, never charged", async () => {
    await wallet("early", 1000);
    const id = bed.id("early");
    let release!: () => void;
    holdDeduct = new Promise((r) => (release = r));
    try {
      await start(id, "early", 300);
      const until = Date.now() + 30_000;
      while (reached.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(reached).toEqual(["deductWallet:end"]);
      await bed.client.workflow.getHandle(paymentWorkflowId(id)).cancel();
    } finally {
      holdDeduct = undefined;
      release();
    }
    expect(await paymentResult(bed, id)).toMatchObject({ status: "failed", reason: "cancelled before the charge was sent; the deduction was refunded" });
    expect(chargesOf(id)).toEqual([]);
    const ops = (await bed.ledger.readRecord("early")).events.map((e) => e.op_id);
    expect(ops).toEqual(["create", "early-seed:credit", `${id}:deduct`, `${id}:refund`]);
    expect(await bed.ledger.show("early")).toMatchObject({ balance: 1000 });
    const verified = await bed.client.workflow.execute("verifyLedger", { workflowId: verifyLedgerWorkflowId(bed.ledgerName), taskQueue: bed.taskQueue, args: [{ ledger: bed.ledgerName }] });
    expect(verified).toMatchObject({ findings: [], chargesChecked: true });
  });

  it("cancelled while it restarts a payment an earlier run charged: completed with that charge, never refunded", async () => {
    await wallet("again", 1000);
    const id = bed.id("again");
    const handle = bed.client.workflow.getHandle(paymentWorkflowId(id));
    reached.length = 0;
    let releaseCharge!: () => void;
    holdCharge = new Promise((r) => (releaseCharge = r));
    try {
      await start(id, "again", 200);
      await reach("chargeGateway:end");
      await handle.terminate("the operator gave up on this run");
    } finally {
      holdCharge = undefined;
      releaseCharge();
    }
    const charged = chargesOf(id);
    expect(charged.map((c) => `${c.status} ${c.amount}`)).toEqual(["succeeded 200"]);
    expect((await handle.describe()).status.name).toBe("TERMINATED");

    reached.length = 0;
    let releaseDeduct!: () => void;
    holdDeduct = new Promise((r) => (releaseDeduct = r));
    try {
      await bed.client.workflow.start("payment", { workflowId: paymentWorkflowId(id), taskQueue: bed.taskQueue, args: [{ payment_id: id, wallet: "again", amount: 200, currency: "EUR", ledger: bed.ledgerName }] });
      await reach("deductWallet:end");
      await handle.cancel();
    } finally {
      holdDeduct = undefined;
      releaseDeduct();
    }
    expect(await paymentResult(bed, id)).toMatchObject({ status: "completed", charge_id: (charged[0] as { id?: string }).id });
    expect(chargesOf(id)).toHaveLength(1);
    expect((await bed.ledger.readRecord("again")).events.map((e) => e.op_id)).toEqual(["create", "again-seed:credit", `${id}:deduct`]);
    expect(await bed.ledger.show("again")).toMatchObject({ balance: 800 });
  });

  it("cancelled while it restarts a payment whose earlier charge is still in flight: charged with the same key, never refunded", async () => {
    await wallet("flight", 1000);
    const id = bed.id("flight");
    const handle = bed.client.workflow.getHandle(paymentWorkflowId(id));
    reached.length = 0;
    let releaseFirst!: () => void;
    holdChargeStart = new Promise((r) => (releaseFirst = r));
    try {
      await start(id, "flight", 300);
      await reach("chargeGateway:start");
      holdChargeStart = undefined;
      await handle.terminate("the operator gave up on this run");
      expect(chargesOf(id)).toEqual([]);

      reached.length = 0;
      let releaseDeduct!: () => void;
      holdDeduct = new Promise((r) => (releaseDeduct = r));
      try {
        await start(id, "flight", 300);
        await reach("deductWallet:end");
        await handle.cancel();
      } finally {
        holdDeduct = undefined;
        releaseDeduct();
      }
      expect(await paymentResult(bed, id)).toMatchObject({ status: "completed" });
    } finally {
      holdChargeStart = undefined;
      releaseFirst();
    }
    expect(chargesOf(id).map((c) => `${c.status} ${c.amount}`)).toEqual(["succeeded 300"]);
    expect((await bed.ledger.readRecord("flight")).events.map((e) => e.op_id)).toEqual(["create", "flight-seed:credit", `${id}:deduct`]);
    expect(await bed.ledger.show("flight")).toMatchObject({ balance: 700 });
    const verified = await bed.client.workflow.execute("verifyLedger", { workflowId: verifyLedgerWorkflowId(bed.ledgerName), taskQueue: bed.taskQueue, args: [{ ledger: bed.ledgerName }] });
    expect(verified).toMatchObject({ findings: [], chargesChecked: true });
  });
});
