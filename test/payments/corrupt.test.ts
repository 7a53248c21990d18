import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_FORMAT, serializeEvent, type LedgerEvent } from "../../src/ledger/events";
import type { LedgerVerifyResult } from "../../src/ledger/invariants";
import { LedgerLayout } from "../../src/ledger/layout";
import { startPayment } from "../../src/ledger/payment-client";
import { paymentWorkflowId, validatePayment, verifyLedgerWorkflowId } from "../../src/ledger/payment";
import { paymentResult, startPaymentBed, type PaymentBed } from "./bed";

let bed: PaymentBed;
beforeAll(async () => {
  bed = await startPaymentBed("paycorrupt");
});
afterAll(() => bed?.stop());

describe("verifyLedger on a log that refunds one payment twice", () => {
  it("reports the second refund as an events finding, not only as missing money", async () => {
    await bed.ledger.createWallet("w", "EUR");
    await bed.ledger.credit("w", "seed", 1000, "EUR");
    const id = bed.id("declined");
    bed.sim.setFaults({ keys: { [id]: "decline" } });
    await startPayment(bed.client, bed.store, bed.taskQueue, validatePayment({ payment_id: id, wallet: "w", amount: 250, currency: "EUR", ledger: bed.ledgerName }));
    expect(await paymentResult(bed, id)).toMatchObject({ status: "failed" });
    expect(bed.sim.charges().filter((c) => c.idempotency_key === id).map((c) => c.status)).toEqual(["failed"]);
    const { events } = await bed.ledger.readRecord("w");
    const refund = events.at(-1)!;
    expect(refund).toMatchObject({ seq: 4, type: "WalletRefunded", op_id: `${id}:refund` });
    const copy: LedgerEvent = { ...refund, seq: 5, op_id: `${id}:refund-again`, format: EVENT_FORMAT };
    await bed.store.put(new LedgerLayout(bed.ledgerName).event("w", 5), serializeEvent(copy), { kind: "create" });

    const result: LedgerVerifyResult = await bed.client.workflow.execute("verifyLedger", { workflowId: verifyLedgerWorkflowId(bed.ledgerName), taskQueue: bed.taskQueue, args: [{ ledger: bed.ledgerName }] });
    expect(result.findings.filter((f) => f.check === "events")).toEqual([
      { check: "events", object: "w", problem: `event 5 has op id ${id}:refund-again; a WalletRefunded of payment ${id} has op id ${id}:refund` },
    ]);
  });

  it("reports an event or head that is not JSON as a finding of its wallet and checks the other wallets", async () => {
    const layout = new LedgerLayout(bed.ledgerName);
    for (const w of ["g1", "g2", "g3"]) {
      await bed.ledger.createWallet(w, "EUR");
      await bed.ledger.credit(w, "seed", 100, "EUR");
      await bed.ledger.credit(w, "more", 50, "EUR");
    }
    await bed.store.put(layout.event("g1", 2), "{\"format\": \"tidemark.wallet-ev", { kind: "overwrite" });
    await bed.store.put(layout.head("g2"), "{\"seq\": 3, \"bal", { kind: "overwrite" });
    const garbled = [layout.event("g1", 2), layout.head("g2")];
    for (const key of garbled) expect(Buffer.from((await bed.store.get(key)).body).toString("utf8")).not.toMatch(/}\s*$/);

    const result: LedgerVerifyResult = await bed.client.workflow.execute("verifyLedger", { workflowId: verifyLedgerWorkflowId(bed.ledgerName), taskQueue: bed.taskQueue, args: [{ ledger: bed.ledgerName }] });
    expect(result.wallets).toBe(4);
    expect(result.findings.filter((f) => f.object === "g1" || f.object === "g2" || f.object === "g3")).toEqual([
      { check: "events", object: "g1", problem: `${garbled[0]}: not JSON` },
      { check: "events", object: "g1", problem: "event 3 follows seq 1 (expected 2)" },
      { check: "head", object: "g1", problem: "head says seq 3, balance 150; the events fold to seq 1, balance 0" },
      { check: "head", object: "g2", problem: "head.json is not JSON" },
    ]);
  });

  it("a payment on a wallet whose head.json is garbled is deducted and charged once, and says so", async () => {
    const layout = new LedgerLayout(bed.ledgerName);
    await bed.ledger.createWallet("h", "EUR");
    await bed.ledger.credit("h", "seed", 1000, "EUR");
    await bed.store.put(layout.head("h"), "{\"seq\": 2, \"bal", { kind: "overwrite" });
    const id = bed.id("garbled-head");
    await bed.client.workflow.start("payment", { workflowId: paymentWorkflowId(id), taskQueue: bed.taskQueue, args: [{ payment_id: id, wallet: "h", amount: 125, currency: "EUR", ledger: bed.ledgerName }] });
    const final = await paymentResult(bed, id);
    const ops = (await bed.ledger.readRecord("h")).events.map((e) => e.op_id);
    const charges = bed.sim.charges().filter((c) => c.idempotency_key === id).map((c) => c.status);
    expect({ status: final.status, ops, charges }).toEqual({ status: "completed", ops: ["create", "seed:credit", `${id}:deduct`], charges: ["succeeded"] });
    expect(await bed.ledger.readRecord("h")).toMatchObject({ head: { seq: 3, balance: 875 } });
    await bed.store.put(layout.head("h"), "not json", { kind: "overwrite" });
    expect(await bed.ledger.show("h")).toMatchObject({ balance: 875, seq: 3 });
  });
});
