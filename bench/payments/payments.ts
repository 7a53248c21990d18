import { NativeConnection, Worker } from "@temporalio/worker";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { startEmbeddedStack } from "../../src/devstack/embedded.js";
import { startGatewaySimulator } from "../../src/gateway/simulator.js";
import { paymentWorkflowId, type PaymentState } from "../../src/ledger/payment.js";
import { LedgerStore } from "../../src/ledger/store.js";
import { FsObjectStore } from "../../src/store/fs.js";
import { startWorker } from "../ingest/worker.js";

const args = process.argv.slice(2);
const num = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const PAYMENTS = num("payments", 300);
const CONCURRENCY = num("concurrency", 16);
const OUT = args.includes("--out") ? args[args.indexOf("--out") + 1] : "bench/results/payments";

const say = (line: string) => process.stdout.write(`[payments ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** Runs `n` jobs at most `concurrency` at a time; returns each job's latency in ms and the wall time. */
async function drive(n: number, concurrency: number, job: (i: number) => Promise<void>): Promise<{ ms: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      const s = performance.now();
      await job(i);
      latencies.push(performance.now() - s);
    }
  }));
  return { ms: performance.now() - t0, latencies };
}

function commit(): string {
  const git = (...a: string[]) => spawnSync("git", a, { encoding: "utf8" }).stdout.trim();
  const dirty = git("status", "--porcelain", "--untracked-files=no") !== "";
  if (dirty && !args.includes("--dirty")) throw new Error("The work tree has uncommitted changes; commit them so the results record the commit they measured, or pass --dirty for a trial run.");
  return `${git("rev-parse", "HEAD")}${dirty ? " + uncommitted changes (a trial, not a result)" : " (clean)"}`;
}

/**
 * Payments throughput on the dev server, side by side with a one-activity workflow baseline on the
 * same server in the same run (issue 14 goal: ≥ 40 % of the baseline), and the contention case:
 * 50 concurrent payments on one wallet that covers exactly 20.
 */
async function main(): Promise<void> {
  const tree = commit();
  const dir = mkdtempSync(join(tmpdir(), "tidemark-bench-pay-"));
  const loads: number[] = [loadavg()[0]];
  const sampler = setInterval(() => loads.push(loadavg()[0]), 5000);
  const datasetsDir = join(dir, "datasets");
  mkdirSync(datasetsDir);
  const stack = await startEmbeddedStack({ port: "any", uiPort: false, storeUrl: pathToFileURL(join(dir, "unused")).href, datasetsDir, worker: false });
  const sim = await startGatewaySimulator();
  const storeDir = join(dir, "store");
  mkdirSync(storeDir);
  const ledgerName = "bench";
  const ledger = new LedgerStore(new FsObjectStore(storeDir), ledgerName);
  const worker = await startWorker({
    temporalAddress: stack.address, namespace: stack.namespace, taskQueue: stack.taskQueue, storeUrl: pathToFileURL(storeDir).href, datasetsDir,
    extra: { TIDEMARK_GATEWAY_URL: sim.url, TIDEMARK_LEDGER: ledgerName },
  });
  const connection = await NativeConnection.connect({ address: stack.address });
  const baselineQueue = "bench-baseline";
  const baseline = await Worker.create({
    connection, namespace: stack.namespace, taskQueue: baselineQueue,
    workflowsPath: require.resolve("./baseline-workflow.js"),
    activities: { noop: async (id: string) => id },
  });
  const baselineRun = baseline.run();
  try {
    const client = stack.client;
    const wallets = 20;
    for (let w = 0; w < wallets; w++) {
      await ledger.createWallet(`w${w}`, "EUR");
      await ledger.credit(`w${w}`, `seed-w${w}`, 1_000_000_000, "EUR");
    }
    const warm = async (label: string, n: number) => {
      await drive(n, CONCURRENCY, async (i) => {
        await client.workflow.execute("oneActivity", { workflowId: `${label}-b-${i}`, taskQueue: baselineQueue, args: [String(i)] });
        await client.workflow.execute("payment", { workflowId: paymentWorkflowId(`${label}-p-${i}`), taskQueue: stack.taskQueue, args: [{ payment_id: `${label}-p-${i}`, wallet: `w${i % wallets}`, amount: 100, currency: "EUR", ledger: ledgerName }] });
      });
    };
    await warm("warm", 20);
    say(`warmed up; ${PAYMENTS} payments and ${PAYMENTS} baseline workflows, ${CONCURRENCY} clients`);
    const base = await drive(PAYMENTS, CONCURRENCY, async (i) => {
      await client.workflow.execute("oneActivity", { workflowId: `base-${i}`, taskQueue: baselineQueue, args: [String(i)] });
    });
    const statuses = new Map<string, number>();
    const pay = await drive(PAYMENTS, CONCURRENCY, async (i) => {
      const state = (await client.workflow.execute("payment", {
        workflowId: paymentWorkflowId(`tp-${i}`), taskQueue: stack.taskQueue, args: [{ payment_id: `tp-${i}`, wallet: `w${i % wallets}`, amount: 100, currency: "EUR", ledger: ledgerName }],
      })) as PaymentState;
      statuses.set(state.status, (statuses.get(state.status) ?? 0) + 1);
    });
    const basePerS = (PAYMENTS / base.ms) * 1000;
    const payPerS = (PAYMENTS / pay.ms) * 1000;
    say(`baseline ${basePerS.toFixed(1)} workflows/s; payments ${payPerS.toFixed(1)}/s (${[...statuses].map(([s, n]) => `${s} ${n}`).join(", ")}); ratio ${(payPerS / basePerS).toFixed(2)}`);

    await ledger.createWallet("contended", "EUR");
    await ledger.credit("contended", "seed-contended", 20 * 100, "EUR");
    const outcomes = new Map<string, number>();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const state = (await client.workflow.execute("payment", {
        workflowId: paymentWorkflowId(`c-${i}`), taskQueue: stack.taskQueue, args: [{ payment_id: `c-${i}`, wallet: "contended", amount: 100, currency: "EUR", ledger: ledgerName }],
      })) as PaymentState;
      outcomes.set(state.status, (outcomes.get(state.status) ?? 0) + 1);
    }));
    const contentionMs = performance.now() - t0;
    const balance = (await ledger.show("contended"))!.balance;
    say(`contention: ${[...outcomes].map(([s, n]) => `${s} ${n}`).join(", ")}, balance ${balance}, ${Math.round(contentionMs)} ms`);

    const result = {
      conditions: { date: new Date().toISOString(), tree, cpus: cpus().length, node: process.version, load: { min: Math.min(...loads), max: Math.max(...loads) }, payments: PAYMENTS, concurrency: CONCURRENCY },
      throughput: {
        paymentsPerS: +payPerS.toFixed(1), baselinePerS: +basePerS.toFixed(1), ratio: +(payPerS / basePerS).toFixed(2), goal: "≥ 0.40 of the one-activity baseline", met: payPerS / basePerS >= 0.4,
        paymentLatencyMs: { p50: Math.round(pct(pay.latencies, 50)), p99: Math.round(pct(pay.latencies, 99)) },
        baselineLatencyMs: { p50: Math.round(pct(base.latencies, 50)), p99: Math.round(pct(base.latencies, 99)) },
        statuses: Object.fromEntries(statuses),
      },
      contention: { outcomes: Object.fromEntries(outcomes), balance, ms: Math.round(contentionMs), met: outcomes.get("completed") === 20 && outcomes.get("declined") === 30 && balance === 0 },
    };
    const t = result.throughput;
    const md = [
      `Payments bench ${result.conditions.date}: tree ${tree}; ${result.conditions.cpus} CPUs; load ${result.conditions.load.min.toFixed(1)}–${result.conditions.load.max.toFixed(1)}; ${PAYMENTS} payments, ${CONCURRENCY} clients`,
      "",
      "| scenario | Tidemark | baseline | ratio | p50 / p99 | goal |",
      "|---|---|---|---|---|---|",
      `| payments/s on the dev server (simulator, no faults) | ${t.paymentsPerS}/s | one-activity workflow ${t.baselinePerS}/s | ${t.ratio} | ${t.paymentLatencyMs.p50} / ${t.paymentLatencyMs.p99} ms (baseline ${t.baselineLatencyMs.p50} / ${t.baselineLatencyMs.p99}) | ≥ 0.40 — ${t.met ? "met" : "not met"} |`,
      `| 50 concurrent payments on one wallet covering 20 | ${result.contention.ms} ms: ${Object.entries(result.contention.outcomes).map(([s, n]) => `${s} ${n}`).join(", ")}, balance ${balance} | — | — | — | 20 completed, 30 declined, balance 0 — ${result.contention.met ? "met" : "not met"} |`,
      "",
    ].join("\n");
    writeFileSync(`${OUT}.json`, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(`${OUT}.md`, md);
    process.stdout.write(md);
  } finally {
    clearInterval(sampler);
    baseline.shutdown();
    await baselineRun;
    await connection.close();
    await worker.stop();
    await sim.close();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
