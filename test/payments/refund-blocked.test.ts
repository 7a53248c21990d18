import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LedgerLayout } from "../../src/ledger/layout";
import { startPayment } from "../../src/ledger/payment-client";
import { validatePayment } from "../../src/ledger/payment";
import { paymentResult, startPaymentBed, waitForStatus, type PaymentBed } from "./bed";

let bed: PaymentBed;
let corruptAt: string | undefined;
const corrupted: string[] = [];
beforeAll(async () => {
  bed = await startPaymentBed("payrefundblocked", async (point) => {
    if (point !== "chargeGateway:start" || !corruptAt) return;
    await bed.store.put(corruptAt, "{ not an event", { kind: "create" });
    corrupted.push(corruptAt);
    corruptAt = undefined;
  });
});
afterAll(() => bed?.stop());

describe("a refund the ledger refuses", () => {
  it("keeps the payment pending and retries the refund until the wallet's log is repaired", async () => {
    await bed.ledger.createWallet("w", "EUR");
    await bed.ledger.credit("w", "seed", 1000, "EUR");
    const id = bed.id("blocked");
    const key = new LedgerLayout(bed.ledgerName).event("w", 4);
    corruptAt = key;
    bed.sim.setFaults({ keys: { [id]: "decline" } });
    await startPayment(bed.client, bed.store, bed.taskQueue, validatePayment({ payment_id: id, wallet: "w", amount: 300, currency: "EUR", ledger: bed.ledgerName }));
    const blocked = await waitForStatus(bed, id, (s) => s.step === "refund" && /refund .* failed/.test(s.reason ?? ""), 30_000);
    expect(corrupted).toEqual([key]);
    expect(bed.sim.charges().filter((c) => c.idempotency_key === id).map((c) => c.status)).toEqual(["failed"]);
    expect(blocked).toMatchObject({ status: "pending" });
    expect(blocked.reason).toMatch(/^the refund of 300 EUR to wallet w failed; repair the wallet's log \("tidemark ledger verify"\): it is tried again in 5 s$/);

    await bed.store.delete(key);
    const final = await paymentResult(bed, id);
    expect(final).toMatchObject({ status: "failed", reason: "the gateway declined the charge: generic_decline" });
    expect((await bed.ledger.readRecord("w")).events.map((e) => e.op_id)).toEqual(["create", "seed:credit", `${id}:deduct`, `${id}:refund`]);
    expect(await bed.ledger.show("w")).toMatchObject({ balance: 1000 });
  }, 120_000);
});
