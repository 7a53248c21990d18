import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeFaults, noFaults, pickFault } from "../../src/gateway/faults";
import { gatewayFromEnv, GatewayNotConfiguredError } from "../../src/gateway/from-env";
import { startGatewaySimulator, type GatewaySimulator } from "../../src/gateway/simulator";
import type { Gateway } from "../../src/gateway/types";

let sim: GatewaySimulator;
let gateway: Gateway;
beforeAll(async () => {
  sim = await startGatewaySimulator();
  gateway = gatewayFromEnv({ TIDEMARK_GATEWAY_URL: sim.url, TIDEMARK_GATEWAY_TIMEOUT_MS: "700" });
});
afterAll(() => sim.close());

describe("gateway simulator through the Stripe adapter", () => {
  it("charges once per idempotency key and replays the first answer", async () => {
    const first = await gateway.charge({ paymentId: "ok-1", amount: 1250, currency: "EUR" });
    expect(first.outcome).toBe("succeeded");
    const again = await gateway.charge({ paymentId: "ok-1", amount: 1250, currency: "EUR" });
    expect(again).toEqual(first);
    expect(sim.stats().replays).toBe(1);
    expect(sim.charges().filter((c) => c.idempotency_key === "ok-1")).toEqual([
      { id: (first as { chargeId: string }).chargeId, idempotency_key: "ok-1", amount: 1250, currency: "eur", status: "succeeded" },
    ]);
    expect(await gateway.retrieve("ok-1")).toEqual({ outcome: "succeeded", chargeId: (first as { chargeId: string }).chargeId, amount: 1250, currency: "EUR" });
  });

  it("refuses a reused key with other parameters without charging again", async () => {
    await gateway.charge({ paymentId: "reuse-1", amount: 100, currency: "EUR" });
    const other = await gateway.charge({ paymentId: "reuse-1", amount: 999, currency: "EUR" });
    expect(other).toMatchObject({ outcome: "in_doubt", reason: expect.stringContaining("StripeIdempotencyError 400") });
    expect(sim.stats().faults.idempotency_mismatch).toBe(1);
    expect(sim.charges().filter((c) => c.idempotency_key === "reuse-1")).toHaveLength(1);
  });

  it("declines definitively and lists the charge as failed", async () => {
    sim.setFaults({ keys: { "decline-1": "decline" } });
    expect(await gateway.charge({ paymentId: "decline-1", amount: 500, currency: "USD" })).toEqual({ outcome: "declined", reason: "generic_decline" });
    expect(await gateway.retrieve("decline-1")).toEqual({ outcome: "failed", reason: "card_declined" });
    expect(sim.charges().find((c) => c.idempotency_key === "decline-1")?.status).toBe("failed");
  });

  it("stores a 500 and replays it; retrieving then shows the charge failed", async () => {
    sim.setFaults({ keys: { "err-1": "error_500" } });
    const before = sim.stats().faults.error_500;
    expect(await gateway.charge({ paymentId: "err-1", amount: 300, currency: "EUR" })).toMatchObject({ outcome: "in_doubt", reason: expect.stringContaining("500") });
    expect(await gateway.charge({ paymentId: "err-1", amount: 300, currency: "EUR" })).toMatchObject({ outcome: "in_doubt", reason: expect.stringContaining("500") });
    expect(sim.stats().faults.error_500).toBe(before + 1);
    expect(await gateway.retrieve("err-1")).toEqual({ outcome: "failed", reason: "processing_error" });
  });

  it("applies a charge whose answer never comes; retrieving finds it succeeded", async () => {
    sim.setFaults({ keys: { "hang-1": "timeout_after_charge" } });
    const outcome = await gateway.charge({ paymentId: "hang-1", amount: 700, currency: "EUR" });
    expect(outcome).toMatchObject({ outcome: "in_doubt" });
    expect(sim.stats().faults.timeout_after_charge).toBe(1);
    expect(await gateway.retrieve("hang-1")).toMatchObject({ outcome: "succeeded", amount: 700 });
    expect(await gateway.charge({ paymentId: "hang-1", amount: 700, currency: "EUR" })).toMatchObject({ outcome: "succeeded" });
    expect(sim.charges().filter((c) => c.idempotency_key === "hang-1")).toHaveLength(1);
  });

  it("answers 503 during an outage without recording anything, then works again", async () => {
    sim.setFaults({ outage: true });
    expect(await gateway.charge({ paymentId: "out-1", amount: 10, currency: "EUR" })).toMatchObject({ outcome: "in_doubt", reason: expect.stringContaining("503") });
    expect(await gateway.retrieve("out-1")).toMatchObject({ outcome: "unknown" });
    expect(sim.stats().faults.outage).toBe(2);
    sim.setFaults({ outage: false });
    expect(await gateway.retrieve("out-1")).toEqual({ outcome: "not_found" });
    expect(await gateway.charge({ paymentId: "out-1", amount: 10, currency: "EUR" })).toMatchObject({ outcome: "succeeded" });
  });

  it("refunds a succeeded charge once and lists it as refunded", async () => {
    await gateway.charge({ paymentId: "ref-1", amount: 40, currency: "EUR" });
    expect(await gateway.refund("ref-1")).toEqual({ outcome: "refunded" });
    expect(await gateway.refund("ref-1")).toEqual({ outcome: "refunded" });
    expect(await gateway.retrieve("ref-1")).toMatchObject({ outcome: "refunded" });
    expect(sim.charges().find((c) => c.idempotency_key === "ref-1")?.status).toBe("refunded");
    expect(await gateway.listCharges!()).toEqual(sim.charges());
  });

  it("finds a payment's live charge even when an older charge of it was refunded", async () => {
    await gateway.charge({ paymentId: "twice-1", amount: 60, currency: "EUR" });
    expect(await gateway.refund("twice-1")).toEqual({ outcome: "refunded" });
    expect(sim.expireIdempotencyKeys()).toBeGreaterThan(0);
    const live = await gateway.charge({ paymentId: "twice-1", amount: 60, currency: "EUR" });
    expect(live.outcome).toBe("succeeded");
    const listed = sim.charges().filter((c) => c.idempotency_key === "twice-1");
    expect(listed.map((c) => c.status)).toEqual(["refunded", "succeeded"]);
    expect(await gateway.retrieve("twice-1")).toEqual({ outcome: "succeeded", chargeId: (live as { chargeId: string }).chargeId, amount: 60, currency: "EUR" });
  });

  it("answers 409 to a request whose key is still in flight, charging once", async () => {
    sim.setFaults({ latency_ms: 400 });
    let both;
    try {
      both = await Promise.all([1, 2].map(() => gateway.charge({ paymentId: "flight-1", amount: 90, currency: "EUR" })));
    } finally {
      sim.setFaults({ latency_ms: 0 });
    }
    expect(both.map((o) => o.outcome).sort()).toEqual(["in_doubt", "succeeded"]);
    expect(both.find((o) => o.outcome === "in_doubt")).toMatchObject({ reason: expect.stringContaining("409: There is currently another in-progress request") });
    expect(sim.charges().filter((c) => c.idempotency_key === "flight-1")).toHaveLength(1);
    expect(await gateway.charge({ paymentId: "flight-1", amount: 90, currency: "EUR" })).toEqual(both.find((o) => o.outcome === "succeeded"));
  });

  it("switches faults over HTTP and rejects bad ones with 400", async () => {
    const bad = await fetch(`${sim.url}/admin/faults`, { method: "POST", body: JSON.stringify({ error_rate: 2 }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "error_rate must be a number from 0 to 1" });
    const ok = await fetch(`${sim.url}/admin/faults`, { method: "POST", body: JSON.stringify({ decline_rate: 1 }) });
    expect(ok.status).toBe(200);
    expect(await gateway.charge({ paymentId: "rate-1", amount: 1, currency: "EUR" })).toMatchObject({ outcome: "declined" });
    sim.setFaults({ decline_rate: 0 });
    const unauth = await fetch(`${sim.url}/v1/payment_intents/search?query=x`);
    expect(unauth.status).toBe(401);
  });
});

describe("faults and configuration (pure)", () => {
  it("picks a key's fault first, else draws from the rates", () => {
    const f = { ...noFaults(), error_rate: 0.1, timeout_rate: 0.2, decline_rate: 0.3, keys: { k: "decline" as const } };
    expect(pickFault(f, "k", () => 0.99)).toBe("decline");
    expect([0.05, 0.15, 0.45, 0.7].map((x) => pickFault(f, "other", () => x))).toEqual(["error_500", "timeout_after_charge", "decline", null]);
    expect(mergeFaults(noFaults(), { outage_ms: 1000 }, 5000)).toMatchObject({ outage_until: 6000 });
    expect(mergeFaults(noFaults(), { nope: 1 }, 0)).toMatch(/unknown fault "nope"/);
  });
  it("needs a gateway in the environment", () => {
    expect(() => gatewayFromEnv({})).toThrow(GatewayNotConfiguredError);
    expect(gatewayFromEnv({ STRIPE_API_KEY: "sk_test_x" }).description).toBe("Stripe");
    expect(() => gatewayFromEnv({ TIDEMARK_GATEWAY_URL: "not a url" })).toThrow(/is not a URL/);
  });
});
