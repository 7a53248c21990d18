import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/helpers";
import { auditBank, seeded, type Submitted } from "./bank-audit";
import { BankBed } from "./bank-bed";
import { Progress, runClients } from "./bank-drive";

const WALLETS = Array.from({ length: 20 }, (_, i) => `w${String(i).padStart(2, "0")}`);
const CREDIT = 40_000;
const PAYMENTS = 1040;
const CLIENTS = 16;
const VERIFY_WINDOW_MS = 180_000;
/** Settled-payment counts at which a worker is SIGKILLed, the outage window opens and the server is SIGKILLed. */
const WORKER_KILLS_AT = [40, 90, 140, 190, 240, 330, 380, 430, 480, 530];
const OUTAGE_AT = 260;
const SERVER_KILL_AT = 300;

describe("bank test: 1,040 payments, gateway faults, 10 worker SIGKILLs and a dev server SIGKILL", () => {
  const bed = new BankBed(2, { error_rate: 0.05, timeout_rate: 0.02, decline_rate: 0.01, hang_ms: 3000 });
  const credits = new Map<string, number>();
  let payments: Submitted[];

  beforeAll(async () => {
    await bed.start();
    for (const w of WALLETS) {
      await bed.ledger.createWallet(w, "EUR");
      await bed.ledger.credit(w, "seed", CREDIT, "EUR");
      credits.set(w, CREDIT);
    }
    const draw = seeded(14);
    payments = Array.from({ length: PAYMENTS }, (_, i) => ({
      id: `${bed.ledgerName}-p${i}`,
      wallet: WALLETS[Math.floor(draw() * WALLETS.length)],
      amount: 200 + Math.floor(draw() * 1601),
    }));
    bed.sim.setFaults({ keys: { [payments[0].id]: "decline", [payments[1].id]: "decline", [payments[2].id]: "timeout_after_charge", [payments[3].id]: "error_500" } });
  }, 180_000);
  afterAll(() => bed.close(), 60_000);

  it("every payment settles, nothing is applied twice, no balance dips below zero, money is conserved and ledger verify is clean", { timeout: 720_000 }, async () => {
    const t0 = Date.now();
    const untilMs = t0 + 600_000;
    const progress = new Progress();
    const timeline: string[] = [];
    const clients = runClients(bed, payments, CLIENTS, progress, VERIFY_WINDOW_MS, untilMs);
    clients.catch(() => {});
    const chaos = (async () => {
      const plan = [
        ...WORKER_KILLS_AT.map((at) => ({ at, act: () => bed.killWorker(progress.inFlight) })),
        { at: OUTAGE_AT, act: async () => bed.sim.setFaults({ outage_ms: 10_000 }) },
        {
          at: SERVER_KILL_AT,
          act: async () => {
            await bed.killServer(progress.inFlight);
            await bed.restartServer();
          },
        },
      ].sort((a, b) => a.at - b.at);
      for (const step of plan) {
        await progress.until(step.at);
        await step.act();
        timeline.push(`${step.at}@${((Date.now() - t0) / 1000).toFixed(0)}s`);
      }
    })();
    await Promise.all([clients, chaos]);
    const runMs = Date.now() - t0;

    const audit = await auditBank(bed.ledger, WALLETS, credits, payments, bed.sim.charges());
    const stats = bed.sim.stats();
    const verify = await runCli(["ledger", "verify", "--json"], bed.env);
    console.log(
      `[bank] ${payments.length} payments from ${CLIENTS} clients in ${(runMs / 1000).toFixed(1)} s: ${JSON.stringify(audit.byStatus)}; ` +
        `min balance ${audit.minBalance}; ${audit.events} events; credited ${audit.credited} = balances ${audit.balances} + kept ${audit.kept}; ` +
        `gateway faults ${JSON.stringify(stats.faults)}, ${stats.replays} replays; kills ${JSON.stringify(bed.kills)}; workers lost otherwise ${bed.lostWorkers.length}; chaos at settled-count@elapsed ${timeline.join(" ")}`,
    );

    const workerKills = bed.kills.filter((k) => k.target === "worker");
    const serverKills = bed.kills.filter((k) => k.target === "server");
    expect(workerKills).toHaveLength(10);
    expect(serverKills).toHaveLength(1);
    for (const k of bed.kills) {
      expect(k.exit.signal, `kill of ${k.target} ${k.pid}`).toBe("SIGKILL");
      expect(k.inFlight, `payments in flight at the kill of ${k.target} ${k.pid}`).toBeGreaterThan(0);
    }
    expect(new Set(bed.kills.map((k) => k.pid)).size).toBe(11);
    expect(stats.faults.error_500).toBeGreaterThan(0);
    expect(stats.faults.timeout_after_charge).toBeGreaterThan(0);
    expect(stats.faults.decline).toBeGreaterThan(0);
    expect(stats.faults.outage).toBeGreaterThan(0);

    expect(payments.every((p) => ["completed", "declined", "failed", "requires_review"].includes(p.status!))).toBe(true);
    expect(audit.byStatus.completed).toBeGreaterThan(0);
    expect(audit.byStatus.failed).toBeGreaterThan(0);
    expect(audit.byStatus.declined).toBeGreaterThan(0);
    expect(audit.inconsistent).toEqual([]);
    expect(audit.doubleCharges).toEqual([]);
    expect(audit.doubleDeductions).toEqual([]);
    expect(audit.doubleRefunds).toEqual([]);
    expect(audit.strayCharges).toEqual([]);
    expect(audit.gaps).toEqual([]);
    expect(audit.minBalance).toBeGreaterThanOrEqual(0);
    expect(audit.balances + audit.kept).toBe(audit.credited);
    const inReview = payments.filter((p) => p.status === "requires_review");
    const completedAmount = payments.filter((p) => p.status === "completed").reduce((a, p) => a + p.amount, 0);
    expect(audit.charged - completedAmount).toBeGreaterThanOrEqual(0);
    expect(audit.charged - completedAmount).toBeLessThanOrEqual(inReview.reduce((a, p) => a + p.amount, 0));

    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ledger: bed.ledgerName, wallets: 20, events: audit.events, findings: [], chargesChecked: true });
  });
});
