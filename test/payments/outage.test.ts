import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePayment } from "../../src/ledger/payment-client";
import { runCli } from "../cli/helpers";
import { auditBank, seeded, type Submitted } from "./bank-audit";
import { BankBed } from "./bank-bed";
import { settle, submit } from "./bank-drive";
import { SimulatorProcess } from "./sim-process";

const WALLETS = Array.from({ length: 10 }, (_, i) => `o${i}`);
const CREDIT = 100_000;
const PAYMENTS = 300;
const VERIFY_WINDOW_MS = 600_000;

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

describe("full outage: 300 payments in flight, then the dev server, every worker and the gateway SIGKILLed and restarted", () => {
  const sim = new SimulatorProcess();
  let bed: BankBed;
  const credits = new Map<string, number>();
  let payments: Submitted[];

  beforeAll(async () => {
    await sim.start();
    bed = new BankBed(2, { url: sim.url });
    await bed.start();
    for (const w of WALLETS) {
      await bed.ledger.createWallet(w, "EUR");
      await bed.ledger.credit(w, "seed", CREDIT, "EUR");
      credits.set(w, CREDIT);
    }
    const draw = seeded(300);
    payments = Array.from({ length: PAYMENTS }, (_, i) => ({ id: `${bed.ledgerName}-o${i}`, wallet: WALLETS[Math.floor(draw() * WALLETS.length)], amount: 100 + Math.floor(draw() * 900) }));
  }, 180_000);
  afterAll(async () => {
    await bed?.close();
    await sim.stop();
  }, 60_000);

  it("every payment settles after the restart, charged at most once, money conserved, ledger verify clean", { timeout: 600_000 }, async () => {
    await sim.setFaults({ outage: true });
    const untilMs = Date.now() + 480_000;
    await pool(payments, 16, (p) => submit(bed, p, VERIFY_WINDOW_MS, untilMs));
    let deducted = 0;
    for (let i = 0; deducted < PAYMENTS; i++) {
      const audit = await auditBank(bed.ledger, WALLETS, credits, [], []);
      deducted = audit.events - 2 * WALLETS.length;
      if (i > 600) throw new Error(`only ${deducted} of ${PAYMENTS} payments were deducted after 5 minutes`);
      if (deducted < PAYMENTS) await sleep(500);
    }
    const pending = (await Promise.all(payments.map((p) => describePayment(bed.client, p.id)))).filter((d) => d.status === "pending").length;
    expect(pending).toBe(PAYMENTS);

    const killedAt = Date.now();
    const simKill = await sim.kill();
    const workerKills = await bed.killAllWorkers(PAYMENTS);
    const serverKill = await bed.killServer(PAYMENTS);
    const restartAt = Date.now();
    await bed.restartServer();
    await sim.start();
    await bed.restartWorkers();
    const upMs = Date.now() - restartAt;
    await pool(payments, 16, (p) => settle(bed, p, untilMs));
    const settledMs = Date.now() - killedAt;

    const audit = await auditBank(bed.ledger, WALLETS, credits, payments, await sim.charges());
    const verify = await runCli(["ledger", "verify", "--json"], bed.env);
    console.log(
      `[outage] ${PAYMENTS} payments pending at the kill (deducted, gateway down); killed simulator ${simKill.pid}, workers ${workerKills.map((k) => k.pid).join(",")}, dev server ${serverKill.pid}; ` +
        `restart took ${(upMs / 1000).toFixed(1)} s; all settled ${(settledMs / 1000).toFixed(1)} s after the kill: ${JSON.stringify(audit.byStatus)}`,
    );

    expect(simKill.signal).toBe("SIGKILL");
    expect(workerKills).toHaveLength(2);
    for (const k of [...workerKills, serverKill]) expect(k.exit.signal).toBe("SIGKILL");
    expect(payments.every((p) => ["completed", "declined", "failed", "requires_review"].includes(p.status!))).toBe(true);
    expect(audit.inconsistent).toEqual([]);
    expect(audit.doubleCharges).toEqual([]);
    expect(audit.doubleDeductions).toEqual([]);
    expect(audit.doubleRefunds).toEqual([]);
    expect(audit.strayCharges).toEqual([]);
    expect(audit.minBalance).toBeGreaterThanOrEqual(0);
    expect(audit.balances + audit.kept).toBe(audit.credited);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ledger: bed.ledgerName, findings: [], chargesChecked: true });
  });
});
