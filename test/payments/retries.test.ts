import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPayment } from "../../src/ledger/payment-client";
import { validatePayment } from "../../src/ledger/payment";
import { paymentResult, startPaymentBed, type PaymentBed } from "./bed";

/** Activity steps whose first successful attempt per payment has its result lost (thrown after the work), as a worker dying before reporting would. */
const LOSE_RESULT_OF = new Set(["deductWallet:end", "chargeGateway:end", "refundWallet:end"]);
const lost: string[] = [];

let bed: PaymentBed;
beforeAll(async () => {
  bed = await startPaymentBed("payretry", (point) => {
    if (!LOSE_RESULT_OF.has(point) || lost.includes(point)) return;
    lost.push(point);
    throw new Error(`test: the result of ${point} is lost`);
  });
});
afterAll(() => bed?.stop());

describe("activity results lost after the work was done", () => {
  it("a retried deduct, charge and refund each apply once", async () => {
    await bed.ledger.createWallet("w", "EUR");
    await bed.ledger.credit("w", "seed", 1000, "EUR");
    const ok = bed.id("ok");
    await startPayment(bed.client, bed.store, bed.taskQueue, validatePayment({ payment_id: ok, wallet: "w", amount: 300, currency: "EUR", ledger: bed.ledgerName }));
    expect(await paymentResult(bed, ok)).toMatchObject({ status: "completed" });
    expect(lost).toEqual(["deductWallet:end", "chargeGateway:end"]);
    expect(bed.sim.charges().filter((c) => c.idempotency_key === ok)).toHaveLength(1);
    expect(bed.sim.stats().replays).toBe(1);

    const declined = bed.id("declined");
    bed.sim.setFaults({ keys: { [declined]: "decline" } });
    await startPayment(bed.client, bed.store, bed.taskQueue, validatePayment({ payment_id: declined, wallet: "w", amount: 200, currency: "EUR", ledger: bed.ledgerName }));
    expect(await paymentResult(bed, declined)).toMatchObject({ status: "failed" });
    expect(lost).toEqual(["deductWallet:end", "chargeGateway:end", "refundWallet:end"]);

    const events = (await bed.ledger.readRecord("w")).events.map((e) => e.op_id);
    expect(events).toEqual(["create", "seed:credit", `${ok}:deduct`, `${declined}:deduct`, `${declined}:refund`]);
    expect(await bed.ledger.show("w")).toMatchObject({ balance: 700, seq: 5 });
  });
});
