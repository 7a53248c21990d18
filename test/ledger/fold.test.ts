import { describe, expect, it } from "vitest";
import { CurrencyMismatchError, OpConflictError, PaymentInputError } from "../../src/ledger/errors";
import { parseEvent, serializeEvent } from "../../src/ledger/events";
import { decide, foldEvents } from "../../src/ledger/fold";
import { parseAmountText, requireAmount, requireCurrency, requirePaymentId, requireWalletId } from "../../src/ledger/ids";
import { Log } from "./fixtures";

describe("foldEvents", () => {
  it("folds credits, deducts and refunds into seq, balance and applied ops", () => {
    const { state, problems } = foldEvents(new Log().credit(1000).deduct("p1", 300).deduct("p2", 200).refund("p1", 300).events);
    expect(problems).toEqual([]);
    expect(state).toMatchObject({ wallet: "w1", currency: "EUR", seq: 5, balance: 800, credited: 1000, deducted: 500, refunded: 300 });
    expect([...state!.ops.keys()]).toEqual(["create", "c2:credit", "p1:deduct", "p2:deduct", "p1:refund"]);
  });

  it("reports a gap in the seqs", () => {
    const log = new Log().credit(10).credit(20);
    log.events.splice(1, 1);
    expect(foldEvents(log.events).problems).toEqual(["event 3 follows seq 1 (expected 2)"]);
  });

  it("reports a deduction below zero", () => {
    expect(foldEvents(new Log().credit(100).deduct("p1", 101).events).problems).toEqual(["event 3 deducts 101 from a balance of 100"]);
  });

  it("reports an op applied twice", () => {
    expect(foldEvents(new Log().credit(100, "x").credit(100, "x").events).problems).toEqual(["event 3 applies op x:credit a second time"]);
  });

  it("reports an op id that is not its type's, so a payment cannot be refunded twice under another op id", () => {
    const { events } = new Log().credit(100).deduct("p1", 40).refund("p1", 40);
    expect(foldEvents([...events, { ...events[3], seq: 5, op_id: "p1:refund-2" }]).problems).toEqual(["event 5 has op id p1:refund-2; a WalletRefunded of payment p1 has op id p1:refund"]);
    expect(foldEvents([...events, { ...events[1], seq: 5, op_id: "p2:deduct" }]).problems).toEqual(['event 5 has op id p2:deduct; a WalletCredited has an op id ending in ":credit"']);
  });

  it("reports a refund without its deduction and a currency change", () => {
    const log = new Log().credit(100).refund("p9", 5);
    log.events.push({ ...log.events[1], seq: 4, op_id: "usd:credit", currency: "USD" });
    expect(foldEvents(log.events).problems).toEqual([
      "event 3 refunds 5 for payment p9, which has no deduction of that amount",
      "event 4 follows seq 2 (expected 3)",
    ]);
  });

  it("requires WalletCreated first", () => {
    const log = new Log().credit(1);
    expect(foldEvents([{ ...log.events[1], seq: 1 }]).problems).toEqual(["event 1 is WalletCredited, not WalletCreated"]);
  });
});

describe("decide", () => {
  const state = foldEvents(new Log().credit(500).deduct("p1", 200).events).state!;
  it("appends an affordable deduction and refuses an unaffordable one", () => {
    expect(decide(state, { type: "WalletDeducted", op_id: "p2:deduct", payment_id: "p2", amount: 300, currency: "EUR" }).kind).toBe("append");
    expect(decide(state, { type: "WalletDeducted", op_id: "p2:deduct", payment_id: "p2", amount: 301, currency: "EUR" })).toEqual({ kind: "insufficient", balance: 300 });
  });
  it("returns the event of a retried op and refuses the same op id with other parameters", () => {
    const again = decide(state, { type: "WalletDeducted", op_id: "p1:deduct", payment_id: "p1", amount: 200, currency: "EUR" });
    expect(again).toMatchObject({ kind: "duplicate", event: { seq: 3 } });
    expect(() => decide(state, { type: "WalletDeducted", op_id: "p1:deduct", payment_id: "p1", amount: 201, currency: "EUR" })).toThrow(OpConflictError);
  });
  it("refuses another currency and a refund without a matching deduction", () => {
    expect(() => decide(state, { type: "WalletCredited", op_id: "c:credit", amount: 1, currency: "USD" })).toThrow(CurrencyMismatchError);
    expect(() => decide(state, { type: "WalletRefunded", op_id: "p1:refund", payment_id: "p1", amount: 199, currency: "EUR" })).toThrow(PaymentInputError);
    expect(decide(state, { type: "WalletRefunded", op_id: "p1:refund", payment_id: "p1", amount: 200, currency: "EUR" }).kind).toBe("append");
  });
  it("tells a deduction asked again after its refund apart from a retry", () => {
    const refunded = foldEvents(new Log().credit(500).deduct("p1", 200).refund("p1", 200).events).state!;
    expect(decide(refunded, { type: "WalletDeducted", op_id: "p1:deduct", payment_id: "p1", amount: 200, currency: "EUR" })).toMatchObject({ kind: "refunded", event: { seq: 3 } });
  });
});

describe("events and inputs", () => {
  it("round-trips an event and describes a malformed one", () => {
    const e = new Log().credit(7).events[1];
    expect(parseEvent(serializeEvent(e))).toEqual(e);
    expect(parseEvent("{")).toBe("not JSON");
    expect(parseEvent(JSON.stringify({ ...e, amount: 1.5 }))).toBe("WalletCredited amount is not a positive integer");
  });
  it("accepts only positive whole minor units within the limit", () => {
    expect(requireAmount(1)).toBe(1);
    for (const bad of [0, -1, 1.5, Number.NaN, 1e13, "5"]) expect(() => requireAmount(bad)).toThrow(PaymentInputError);
    expect(parseAmountText("1250")).toBe(1250);
    for (const bad of ["12.50", "-3", "1e3", "", "abc"]) expect(() => parseAmountText(bad)).toThrow(PaymentInputError);
  });
  it("checks ids and currencies", () => {
    expect(requireCurrency("eur")).toBe("EUR");
    expect(() => requireCurrency("EURO")).toThrow(/three-letter/);
    expect(() => requireWalletId("Alice")).toThrow(/Wallet id/);
    expect(() => requirePaymentId("pay:1")).toThrow(/Payment id/);
    expect(requirePaymentId("Pay-1.a_b")).toBe("Pay-1.a_b");
  });
  it("names a missing field as missing and a non-finite amount as what it is, not as undefined or null", () => {
    expect(() => requirePaymentId(undefined)).toThrow(/^Payment id is missing: use letters/);
    expect(() => requireAmount(Number.POSITIVE_INFINITY)).toThrow(/^Amount Infinity is invalid: /);
    expect(() => requireAmount(JSON.parse('{"a":1e999}').a)).toThrow(/^Amount Infinity is invalid: /);
    expect(() => requireAmount(Number.NaN)).toThrow(/^Amount NaN is invalid: /);
    expect(() => requireWalletId(null)).toThrow(/^Wallet id null is invalid: /);
  });
});
