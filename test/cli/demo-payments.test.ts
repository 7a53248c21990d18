import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO_PAYMENTS, runPaymentsDemo } from "../../src/demo/payments";
import { services } from "../support/services";
import { tempStore } from "./helpers";

const work = tempStore("demo-payments");
afterAll(() => work.cleanup());

describe("tidemark demo payments", () => {
  it("runs the handful of payments through the simulator and prints balances, charges, verify and UI links", { timeout: 180_000 }, async () => {
    const lines: string[] = [];
    const outcome = await runPaymentsDemo({ dir: join(work.dir, "demo"), anyPorts: true, workflowBundle: { codePath: services().workflowBundlePath }, say: (l) => lines.push(l) });
    const status = Object.fromEntries(outcome.payments.map((p) => [p.payment_id, p.status]));
    expect(status).toEqual({ "pay-1": "completed", "pay-2": "declined", "pay-3": "failed", "pay-4": "completed", "pay-5": "failed" });
    expect(outcome.payments.find((p) => p.payment_id === "pay-4")!.reason).toMatch(/verified at the gateway after an in-doubt charge/);
    expect(outcome.payments.find((p) => p.payment_id === "pay-3")!.reason).toMatch(/the gateway reports the charge failed/);
    // alice 10,000 − pay-1 2,500 (pay-3 and pay-5 refunded); bob 500 − pay-4 300 (pay-2 declined).
    expect(outcome.balances).toEqual({ alice: 7500, bob: 200 });
    expect(outcome.verify).toMatchObject({ findings: [], chargesChecked: true, wallets: 2 });
    const text = lines.join("\n");
    for (const p of DEMO_PAYMENTS) expect(text).toContain(p.shows);
    expect(text).toMatch(/alice\t7500 EUR\tseq \d+/);
    expect(text).toMatch(/bob\t200 EUR\tseq \d+/);
    expect(text).toMatch(/pay-4\t300 EUR\tsucceeded/);
    expect(text).toContain("ledger verify: 2 wallets");
    expect(text).toContain("clean");
    expect(outcome.uiUrl).toBeDefined();
    for (const p of DEMO_PAYMENTS) expect(text).toContain(`${p.id}: ${outcome.uiUrl}/namespaces/default/workflows/${encodeURIComponent(`tidemark/payment/${p.id}`)}/`);
  });
});
