import { rmSync } from "node:fs";
import { join } from "node:path";
import { writeSources } from "./data.js";
import { deltaLoad, type DeltaLoad } from "./deltars.js";
import type { ScenarioResult } from "./result.js";
import { ingest, withWorker, type BenchStack, type IngestRun } from "./stack.js";
import { median, medianRecords, ratio, say } from "./stats.js";

const PEAK_GOAL_MB = 1536;

/**
 * P7: an initial load of `series` × `months` rows (goal size 20,000 × 500 = 10M) on its own store,
 * against delta-rs's partitioned load of the same CSV, run 0 a warm-up. Every run's history is read
 * for retried activity attempts and heartbeat timeouts ("no missed heartbeat"), warm-up included.
 */
export async function runInitialLoad(stack: BenchStack, series: number, months: number, runs: number): Promise<ScenarioResult> {
  const csv = join(stack.dir, "p7.csv");
  const rows = writeSources({ series, months, daily: 0 }, csv, "/dev/null", "/dev/null").v1Rows;
  say(`P7: source of ${rows} rows written`);
  const measured: { run: IngestRun; delta: DeltaLoad }[] = [];
  const missed: { run: number; extraAttempts: number; heartbeatTimeouts: number; retried: string[] }[] = [];
  await withWorker(stack, `file://${join(stack.dir, "p7-store")}`, async (worker) => {
    for (let i = 0; i <= runs; i++) {
      const table = join(stack.dir, "deltars", `p7_${i}`);
      const delta = deltaLoad(table, csv);
      rmSync(table, { recursive: true, force: true });
      const dataset = `initial_${i}`;
      stack.define(dataset, csv);
      const run = await ingest(stack, worker, dataset, csv);
      const t = run.timing;
      say(`P7 ${i === 0 ? "warm-up" : `run ${i}`}: ${run.status} ${run.ms} ms, peak ${run.peakRssMb} MB vs delta-rs ${delta.totalMs} ms; extra attempts ${t.extraAttempts}, heartbeat timeouts ${t.heartbeatTimeouts}`);
      if (run.status !== "published") throw new Error(`P7 run ${i}: ${run.status}`);
      missed.push({ run: i, extraAttempts: t.extraAttempts, heartbeatTimeouts: t.heartbeatTimeouts, retried: t.retried });
      if (i > 0) measured.push({ run, delta });
    }
  });
  const ms = median(measured.map((m) => m.run.ms));
  const base = median(measured.map((m) => m.delta.totalMs));
  const peakRssMb = Math.max(...measured.map((m) => m.run.peakRssMb));
  const extraAttempts = missed.reduce((a, m) => a + m.extraAttempts, 0);
  const heartbeatTimeouts = missed.reduce((a, m) => a + m.heartbeatTimeouts, 0);
  return {
    id: "P7",
    title: `P7 initial load, ${rows.toLocaleString("en")} rows, vs delta-rs partitioned; ${extraAttempts} retried attempts, ${heartbeatTimeouts} heartbeat timeouts`,
    ms,
    runs: measured.map((m) => m.run.ms),
    baseline: { name: "delta-rs write_deltalake partitioned by month (read CSV + write)", ms: base, runs: measured.map((m) => m.delta.totalMs) },
    ratio: ratio(ms, base),
    goal: "peak RSS ≤ 1.5 GB, ≤ 1.5×, no missed heartbeat",
    met: peakRssMb <= PEAK_GOAL_MB && ms <= 1.5 * base && extraAttempts === 0 && heartbeatTimeouts === 0,
    peakRssMb,
    details: {
      activities: medianRecords(measured.map((m) => m.run.timing.activities)),
      workflowMs: median(measured.map((m) => m.run.timing.workflowMs)),
      deltarsLoad: { readMs: median(measured.map((m) => m.delta.readMs)), writeMs: median(measured.map((m) => m.delta.writeMs)), wallMs: median(measured.map((m) => m.delta.wallMs)) },
      extraAttempts,
      heartbeatTimeouts,
      perRun: missed,
    },
  };
}
