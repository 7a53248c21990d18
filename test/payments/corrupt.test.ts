import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_FORMAT, serializeEvent, type LedgerEvent } from "../../src/ledger/events";
import type { LedgerVerifyResult } from "../../src/ledger/invariants";
import { LedgerLayout } from "../../src/ledger/layout";
import { startPayment } from "../../src/ledger/payment-client";
import { validatePayment, verifyLedgerWorkflowId } from "../../src/ledger/payment";
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
});
