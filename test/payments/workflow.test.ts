import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { services } from "../support/services";
import { runCli } from "../cli/helpers";
import { startPayment } from "../../src/ledger/payment-client";
import { PaymentConflictError } from "../../src/ledger/errors";
import { paymentWorkflowId, validatePayment, type PaymentInput } from "../../src/ledger/payment";
import { paymentResult, startPaymentBed, waitForStatus, type PaymentBed } from "./bed";

let bed: PaymentBed;
beforeAll(async () => {
  bed = await startPaymentBed("paywf");
});
afterAll(() => bed?.stop());

async function start(input: Omit<PaymentInput, "ledger">) {
  return startPayment(bed.client, bed.store, bed.taskQueue, validatePayment({ ...input, ledger: bed.ledgerName }));
}

async function wallet(name: string, balance: number): Promise<void> {
  await bed.ledger.createWallet(name, "EUR");
  await bed.ledger.credit(name, `${name}-initial`, balance, "EUR");
}

const exec = promisify(execFile);

/** Polls `tidemark payments list --status requires_review` until visibility shows every id (bounded). */
async function waitForListing(ids: string[]): Promise<Array<Record<string, unknown>>> {
  const until = Date.now() + 30_000;
  for (;;) {
    const run = await runCli(["payments", "list", "--status", "requires_review", "--json"], bed.env);
    expect(run.code, run.stderr).toBe(0);
    const rows = (JSON.parse(run.stdout) as Array<Record<string, unknown>>).filter((r) => ids.includes(r.payment_id as string));
    if (rows.length === ids.length || Date.now() > until) return rows;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const chargesOf = (key: string) => bed.sim.charges().filter((c) => c.idempotency_key === key);
const eventTypes = async (w: string) => (await bed.ledger.readRecord(w)).events.map((e) => `${e.type}${"payment_id" in e ? `:${e.payment_id}` : ""}`);

describe("payment workflow on the dev server and the gateway simulator", () => {
  it("completes: deduct then charge once with the payment id as idempotency key", async () => {
    await wallet("happy", 10_000);
    const id = bed.id("happy");
    expect(await start({ payment_id: id, wallet: "happy", amount: 1250, currency: "EUR" })).toMatchObject({ started: true });
    const final = await paymentResult(bed, id);
    expect(final).toMatchObject({ status: "completed", amount: 1250, wallet: "happy" });
    expect(chargesOf(id)).toEqual([{ id: final.charge_id, idempotency_key: id, amount: 1250, currency: "eur", status: "succeeded", ledger: bed.ledgerName }]);
    expect(await bed.ledger.show("happy")).toMatchObject({ balance: 8750 });
    const again = await start({ payment_id: id, wallet: "happy", amount: 1250, currency: "EUR" });
    expect(again).toEqual({ payment_id: id, workflow_id: `tidemark/payment/${id}`, status: "completed", started: false });
    await expect(start({ payment_id: id, wallet: "happy", amount: 1251, currency: "EUR" })).rejects.toBeInstanceOf(PaymentConflictError);
    expect(chargesOf(id)).toHaveLength(1);
    const handle = bed.client.workflow.getHandle(paymentWorkflowId(id));
    expect((await handle.describe()).searchAttributes.TidemarkPaymentStatus).toEqual(["completed"]);
    const summaries = ((await handle.fetchHistory()).events ?? [])
      .map((e) => e.userMetadata?.summary?.data)
      .filter((d): d is Uint8Array => d instanceof Uint8Array)
      .map((d) => JSON.parse(Buffer.from(d).toString("utf8")) as string);
    expect(summaries).toEqual([`deduct 1250 EUR from wallet happy for payment ${id}`, `charge 1250 EUR at the gateway, idempotency key ${id}`]);
  });

  it("declines on insufficient funds without touching the gateway", async () => {
    await wallet("poor", 100);
    const id = bed.id("poor");
    await start({ payment_id: id, wallet: "poor", amount: 101, currency: "EUR" });
    expect(await paymentResult(bed, id)).toMatchObject({ status: "declined", reason: "insufficient funds: wallet poor holds 100 EUR" });
    expect(chargesOf(id)).toEqual([]);
    expect(await eventTypes("poor")).toEqual(["WalletCreated", "WalletCredited"]);
  });

  it("refunds the wallet when the gateway declines the card", async () => {
    await wallet("card", 1000);
    const id = bed.id("card");
    bed.sim.setFaults({ keys: { [id]: "decline" } });
    await start({ payment_id: id, wallet: "card", amount: 400, currency: "EUR" });
    expect(await paymentResult(bed, id)).toMatchObject({ status: "failed", reason: "the gateway declined the charge: generic_decline" });
    expect(chargesOf(id).map((c) => c.status)).toEqual(["failed"]);
    expect(await eventTypes("card")).toEqual(["WalletCreated", "WalletCredited", `WalletDeducted:${id}`, `WalletRefunded:${id}`]);
    expect(await bed.ledger.show("card")).toMatchObject({ balance: 1000 });
  });

  it("after a gateway 500, verifies the charge, finds it failed and refunds", async () => {
    await wallet("five", 1000);
    const id = bed.id("five");
    const before = bed.sim.stats().faults.error_500;
    bed.sim.setFaults({ keys: { [id]: "error_500" } });
    await start({ payment_id: id, wallet: "five", amount: 300, currency: "EUR" });
    expect(await paymentResult(bed, id)).toMatchObject({ status: "failed", reason: "the gateway reports the charge failed (processing_error)" });
    expect(bed.sim.stats().faults.error_500).toBe(before + 1);
    expect(chargesOf(id).map((c) => c.status)).toEqual(["failed"]);
    expect(await eventTypes("five")).toEqual(["WalletCreated", "WalletCredited", `WalletDeducted:${id}`, `WalletRefunded:${id}`]);
    expect(await bed.ledger.show("five")).toMatchObject({ balance: 1000 });
  });

  it("a charge applied but never answered is verified as succeeded, not charged again", async () => {
    await wallet("hang", 1000);
    const id = bed.id("hang");
    const before = bed.sim.stats().faults.timeout_after_charge;
    bed.sim.setFaults({ keys: { [id]: "timeout_after_charge" } });
    await start({ payment_id: id, wallet: "hang", amount: 700, currency: "EUR" });
    const final = await paymentResult(bed, id);
    expect(final).toMatchObject({ status: "completed", reason: "verified at the gateway after an in-doubt charge" });
    expect(bed.sim.stats().faults.timeout_after_charge).toBe(before + 1);
    expect(chargesOf(id)).toEqual([{ id: final.charge_id, idempotency_key: id, amount: 700, currency: "eur", status: "succeeded", ledger: bed.ledgerName }]);
    expect(await bed.ledger.show("hang")).toMatchObject({ balance: 300 });
  });

  it("still unknown after verify_window goes to requires_review; resolve finishes or refunds it", async () => {
    await wallet("review", 1000);
    const charged = bed.id("rev-charged");
    const notCharged = bed.id("rev-not");
    bed.sim.setFaults({ outage: true });
    const outagesBefore = bed.sim.stats().faults.outage;
    try {
      await start({ payment_id: charged, wallet: "review", amount: 100, currency: "EUR", verify_window: "2s" });
      await start({ payment_id: notCharged, wallet: "review", amount: 200, currency: "EUR", verify_window: "2s" });
      const waiting = await waitForStatus(bed, charged, "requires_review");
      await waitForStatus(bed, notCharged, "requires_review");
      expect(waiting.reason).toMatch(/^still unknown after 2000 ms: charge in doubt: .*503.*; run "tidemark payments resolve/);
    } finally {
      bed.sim.setFaults({ outage: false });
    }
    expect(bed.sim.stats().faults.outage).toBeGreaterThanOrEqual(outagesBefore + 4);
    expect(await bed.ledger.show("review")).toMatchObject({ balance: 700 });
    const listed = await waitForListing([charged, notCharged]);
    expect(listed.map((r) => `${r.payment_id} ${r.status} ${r.amount}`).sort()).toEqual([`${charged} requires_review 100`, `${notCharged} requires_review 200`].sort());

    const yes = await runCli(["payments", "resolve", charged, "--charged", "--json"], bed.env);
    expect(yes.code, yes.stderr).toBe(0);
    expect(JSON.parse(yes.stdout)).toMatchObject({ status: "completed", resolution: "charged" });
    const no = await runCli(["payments", "resolve", notCharged, "--not-charged", "--json"], bed.env);
    expect(no.code, no.stderr).toBe(0);
    expect(JSON.parse(no.stdout)).toMatchObject({ status: "failed", resolution: "not_charged" });
    expect(await bed.ledger.show("review")).toMatchObject({ balance: 900 });
    const again = await runCli(["payments", "resolve", charged, "--not-charged"], bed.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already finished|not waiting for review/);
    expect(chargesOf(charged)).toEqual([]);
  });

  it("50 concurrent payments on a wallet that covers exactly 20: 20 completed, 30 declined, balance exact", async () => {
    await wallet("hot", 20 * 250);
    const ids = Array.from({ length: 50 }, (_, i) => bed.id(`hot-${i}`));
    await Promise.all(ids.map((id) => start({ payment_id: id, wallet: "hot", amount: 250, currency: "EUR" })));
    const finals = await Promise.all(ids.map((id) => paymentResult(bed, id)));
    const byStatus = (s: string) => finals.filter((f) => f.status === s).map((f) => f.payment_id);
    expect(byStatus("completed")).toHaveLength(20);
    expect(byStatus("declined")).toHaveLength(30);
    expect(await bed.ledger.show("hot")).toMatchObject({ balance: 0, seq: 22 });
    const charged = bed.sim.charges().filter((c) => ids.includes(c.idempotency_key));
    expect(charged.map((c) => c.idempotency_key).sort()).toEqual(byStatus("completed").sort());
    expect(charged.every((c) => c.status === "succeeded" && c.amount === 250)).toBe(true);
  });

  it("verifyLedger also starts from the temporal CLI with a plain JSON input", async () => {
    const { temporal } = services();
    const workflowId = `verify-ledger-by-cli-${bed.ledgerName}`;
    await exec(temporal.binary, ["workflow", "start", "--type", "verifyLedger", "--task-queue", bed.taskQueue, "--workflow-id", workflowId,
      "--input", JSON.stringify({ ledger: bed.ledgerName }), "--address", temporal.address, "--namespace", temporal.namespace]);
    const result = await bed.client.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({ ledger: bed.ledgerName, findings: [], chargesChecked: true });
  });

  it("a payment started by the temporal CLI (no memo) is the same payment for tidemark payments start", async () => {
    await wallet("plain", 500);
    const id = bed.id("plain");
    const { temporal } = services();
    await exec(temporal.binary, ["workflow", "start", "--type", "payment", "--task-queue", bed.taskQueue, "--workflow-id", paymentWorkflowId(id),
      "--input", JSON.stringify({ payment_id: id, wallet: "plain", amount: 50, currency: "EUR", ledger: bed.ledgerName }), "--address", temporal.address, "--namespace", temporal.namespace]);
    expect(await paymentResult(bed, id)).toMatchObject({ status: "completed" });
    expect(await start({ payment_id: id, wallet: "plain", amount: 50, currency: "EUR" })).toMatchObject({ status: "completed", started: false });
    await expect(start({ payment_id: id, wallet: "plain", amount: 60, currency: "EUR" })).rejects.toBeInstanceOf(PaymentConflictError);
  });

  it("tidemark ledger verify is clean over everything above, charges included", async () => {
    const run = await runCli(["ledger", "verify", "--json"], bed.env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ ledger: bed.ledgerName, findings: [], chargesChecked: true, wallets: 8 });
  });
});
