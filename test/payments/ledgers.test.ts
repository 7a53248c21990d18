import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFromEnv } from "../../src/gateway/from-env";
import type { LedgerVerifyResult } from "../../src/ledger/invariants";
import { startPayment } from "../../src/ledger/payment-client";
import { paymentWorkflowId, validatePayment, verifyLedgerWorkflowId } from "../../src/ledger/payment";
import { LedgerStore } from "../../src/ledger/store";
import { paymentResult, startPaymentBed, type PaymentBed } from "./bed";

let bed: PaymentBed;
beforeAll(async () => {
  bed = await startPaymentBed("payledgers");
});
afterAll(() => bed?.stop());

const verify = (ledger: string): Promise<LedgerVerifyResult> =>
  bed.client.workflow.execute("verifyLedger", { workflowId: verifyLedgerWorkflowId(ledger), taskQueue: bed.taskQueue, args: [{ ledger }] });

describe("two ledgers paying through one gateway", () => {
  it("each ledger's verify checks its own charges and not the other's", async () => {
    const ledgers = [bed.ledgerName, `${bed.ledgerName}-b`];
    const ids: string[] = [];
    for (const [i, name] of ledgers.entries()) {
      const ledger = new LedgerStore(bed.store, name);
      await ledger.createWallet("w", "EUR");
      await ledger.credit("w", "seed", 1000, "EUR");
      ids.push(bed.id(`pay-${i}`));
      await startPayment(bed.client, bed.store, bed.taskQueue, validatePayment({ payment_id: ids[i], wallet: "w", amount: 100 + i, currency: "EUR", ledger: name }));
    }
    for (const id of ids) expect(await paymentResult(bed, id)).toMatchObject({ status: "completed" });
    for (const [i, name] of ledgers.entries()) {
      expect(await verify(name)).toMatchObject({ findings: [], chargesChecked: true, totals: [{ currency: "EUR", credits: 1000, charged: 100 + i, open: 0, balances: 900 - i }] });
    }
    expect(bed.sim.charges().filter((c) => ids.includes(c.idempotency_key)).map((c) => `${c.idempotency_key} ${c.ledger} ${c.status}`).sort()).toEqual(
      ledgers.map((l, i) => `${ids[i]} ${l} succeeded`),
    );

    const stray = bed.id("stray");
    const gateway = gatewayFromEnv({ TIDEMARK_GATEWAY_URL: bed.sim.url });
    expect(await gateway.charge({ paymentId: stray, amount: 5, currency: "EUR", ledger: ledgers[1] })).toMatchObject({ outcome: "succeeded" });
    expect((await verify(ledgers[0])).findings).toEqual([]);
    expect((await verify(ledgers[1])).findings).toEqual([{ check: "charge", object: stray, problem: "charged 5 eur at the gateway without a deduction in any wallet" }]);
  });

  it("a payment id another ledger charged before is not completed with that ledger's charge", async () => {
    const [first, second] = [`${bed.ledgerName}-x`, `${bed.ledgerName}-y`];
    for (const name of [first, second]) {
      const ledger = new LedgerStore(bed.store, name);
      await ledger.createWallet("w", "EUR");
      await ledger.credit("w", "seed", 1000, "EUR");
    }
    const id = bed.id("shared");
    await startPayment(bed.client, bed.store, bed.taskQueue, validatePayment({ payment_id: id, wallet: "w", amount: 300, currency: "EUR", ledger: first }));
    const earlier = await paymentResult(bed, id);
    expect(earlier).toMatchObject({ status: "completed" });
    expect(bed.sim.expireIdempotencyKeys()).toBeGreaterThan(0);

    const errorsBefore = bed.sim.stats().faults.error_500;
    bed.sim.setFaults({ keys: { [id]: "error_500" } });
    try {
      await bed.client.workflow.start("payment", { workflowId: paymentWorkflowId(id), taskQueue: bed.taskQueue, args: [{ payment_id: id, wallet: "w", amount: 300, currency: "EUR", ledger: second }] });
      const later = await paymentResult(bed, id);
      expect(bed.sim.stats().faults.error_500).toBe(errorsBefore + 1);
      expect(bed.sim.charges().filter((c) => c.idempotency_key === id).map((c) => `${c.ledger} ${c.status}`)).toEqual([`${first} succeeded`, `${second} failed`]);
      expect(later).toMatchObject({ status: "failed", ledger: second });
      expect(later.charge_id).toBeUndefined();
    } finally {
      bed.sim.setFaults({ keys: { [id]: null } });
    }
    expect(await new LedgerStore(bed.store, second).show("w")).toMatchObject({ balance: 1000 });
    expect((await verify(second)).findings).toEqual([]);
  });
});
