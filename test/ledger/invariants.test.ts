import { describe, expect, it } from "vitest";
import { checkLedger, strandedFinding, strandedHolder, type GatewayCharge } from "../../src/ledger/invariants";
import { Log } from "./fixtures";

const charge = (key: string, amount: number, status: GatewayCharge["status"] = "succeeded"): GatewayCharge => ({ idempotency_key: key, amount, currency: "eur", status });

describe("checkLedger", () => {
  const a = new Log("a").credit(1000).deduct("p1", 100).deduct("p2", 200).refund("p2", 200).deduct("p3", 50);
  const b = new Log("b").credit(500);

  it("is clean for a consistent ledger and totals credits, charged, open and balances", () => {
    const result = checkLedger(
      [{ wallet: "a", events: a.events, head: { seq: 6, balance: 850 } }, { wallet: "b", events: b.events, head: { seq: 2, balance: 500 } }],
      [charge("p1", 100), charge("p2", 200, "failed")],
    );
    expect(result.findings).toEqual([]);
    expect(result.totals).toEqual([{ currency: "EUR", credits: 1500, charged: 100, open: 50, balances: 1350 }]);
    expect(result).toMatchObject({ wallets: 2, events: 8 });
    expect(result.openDeductions).toEqual([{ payment_id: "p3", wallet: "a", amount: 50, currency: "EUR" }]);
  });

  it("lists no open deductions when the gateway's charges are unknown (a charged one looks open)", () => {
    expect(checkLedger([{ wallet: "a", events: a.events, head: { seq: 6, balance: 850 } }], null).openDeductions).toEqual([]);
  });

  it("weighs an open deduction's payment run: settling while it runs or once it settled, stranded when it is gone or closed unsettled", () => {
    expect(strandedHolder(true, true, "pending")).toBeNull();
    expect(strandedHolder(true, false, "completed")).toBeNull();
    expect(strandedHolder(true, false, "failed")).toBeNull();
    expect(strandedHolder(true, false, "requires_review")).toBe("unsettled");
    expect(strandedHolder(true, false, undefined)).toBe("unsettled");
    expect(strandedHolder(false, false, undefined)).toBe("missing");
    expect(strandedFinding("main", { payment_id: "p3", wallet: "a", amount: 50, currency: "EUR" }, "missing")).toEqual({
      check: "stranded",
      object: "p3",
      problem: '50 EUR deducted from a is neither charged nor refunded, and no payment workflow holds it (its run was deleted, e.g. by retention); start the payment again with its parameters ("tidemark payments start p3 --wallet a --amount 50 --currency EUR --ledger main") so it settles',
    });
  });

  it("reports a head that differs from the fold", () => {
    const result = checkLedger([{ wallet: "b", events: b.events, head: { seq: 1, balance: 0 } }], null);
    expect(result.findings).toEqual([{ check: "head", object: "b", problem: "head says seq 1, balance 0; the events fold to seq 2, balance 500" }]);
  });

  it("reports a payment both charged and refunded, and the money it makes disappear", () => {
    const result = checkLedger([{ wallet: "a", events: a.events, head: { seq: 6, balance: 850 } }], [charge("p1", 100), charge("p2", 200)]);
    expect(result.findings).toEqual([
      { check: "charge", object: "p2", problem: "both charged at the gateway and refunded to a" },
      { check: "conservation", object: "EUR", problem: "credits 1000 − charged 300 − open 50 = 650, but the balances sum to 850" },
    ]);
  });

  it("reports a charge without a deduction and a charge of another amount", () => {
    const result = checkLedger([{ wallet: "a", events: a.events, head: { seq: 6, balance: 850 } }], [charge("p1", 101), charge("zz", 5)]);
    expect(result.findings.map((f) => `${f.check} ${f.object}`)).toEqual(["charge p1", "charge zz"]);
    expect(result.findings[0].problem).toBe("charged 101 eur but deducted 100 EUR from a");
  });

  it("reports a payment charged twice at the gateway for its one deduction", () => {
    const charges = [charge("p1", 100), charge("p1", 100)];
    const result = checkLedger([{ wallet: "a", events: a.events, head: { seq: 6, balance: 850 } }], charges);
    expect(charges.filter((c) => c.idempotency_key === "p1" && c.status === "succeeded")).toHaveLength(2);
    expect(result.findings).toEqual([{ check: "charge", object: "p1", problem: "charged 2 times at the gateway for its one deduction of 100 EUR from a" }]);
  });

  it("reports a wallet whose head remains but whose events are all gone", () => {
    const record = { wallet: "b", events: [], head: { seq: 2, balance: 500 } };
    const result = checkLedger([record], null);
    expect(record.events).toHaveLength(0);
    expect(result.findings).toEqual([{ check: "head", object: "b", problem: "head says seq 2, balance 500, but the wallet has no events" }]);
  });

  it("reports a wallet whose log was created for another wallet (a log copied into the wrong place)", () => {
    const copied = { wallet: "b2", events: b.events, head: { seq: 2, balance: 500 } };
    expect(copied.events[0]).toMatchObject({ type: "WalletCreated", wallet: "b" });
    const result = checkLedger([{ wallet: "b", events: b.events, head: { seq: 2, balance: 500 } }, copied], null);
    expect(result.findings).toEqual([{ check: "events", object: "b2", problem: "event 1 creates wallet b, not b2" }]);
  });

  it("reports broken event logs", () => {
    const bad = new Log("c").credit(10).deduct("p1", 20);
    const result = checkLedger([{ wallet: "c", events: bad.events, head: null }], null);
    expect(result.findings.map((f) => f.check)).toEqual(["events", "head"]);
  });
});
