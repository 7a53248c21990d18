/**
 * `npm run bench:intake`: push-intake goals of issue 13, side by side in one run on loopback:
 * `tidemark serve` (one process, `file://` store, default compaction triggers) with one `tidemark
 * worker` compacting on a Temporal dev server, against the floor server (bench/intake/floor.ts,
 * only group-write + fsync), with the same clients. Writes bench/results/intake.{json,md}.
 *
 * node dist/bench/intake/bench.js [--quick] [--dirty] [--runs 3] [--seconds 5] [--overload-seconds 60]
 *                                 [--drain-seconds 240] [--out bench/results/intake.json] [--keep]
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { checkAcks } from "./check.js";
import { drainInbox, type DrainFigures } from "./drain.js";
import { BENCH_DATASET, runBench, startFloorProcess, startServe, startStack } from "./procs.js";
import { renderMarkdown, type IntakeReport } from "./report.js";
import { measure, overload, type RunFigures, type Shape, type Target } from "./scenarios.js";
import { benchTree } from "../tree.js";
import { flag, writeResults } from "../args.js";

const say = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

type Pick = Omit<RunFigures, "raw">;
const strip = (r: RunFigures & { raw?: unknown }): Pick => {
  const { raw: _raw, ...rest } = r;
  return rest;
};

/** Waits (at most `maxSeconds`) for serve's inbox to be empty: the worker compacted everything earlier runs left. */
async function drain(storeDir: string, maxSeconds: number): Promise<DrainFigures> {
  const d = await drainInbox(storeDir, BENCH_DATASET, maxSeconds);
  say(`  inbox ${d.startMib} MiB → ${d.endMib} MiB (${d.endFragments} fragments) after ${d.seconds} s${d.drained ? "" : `: NOT drained within ${maxSeconds} s`}`);
  return d;
}

/** A scenario's runs by target, and the wait for the inbox to drain before its first measured run. */
interface SideBySide {
  readonly runs: Record<string, Pick[]>;
  readonly drain: DrainFigures;
}

/**
 * Warm-up, then the wait for serve's inbox to drain (at most `drainSeconds`), then `runs` measured
 * runs of `shape` on each target, interleaved so drift and the worker's compactions hit both.
 */
async function sideBySide(targets: Target[], shape: Shape, runs: number, drainSeconds: number, logDir: string, logs: string[]): Promise<SideBySide> {
  const out: Record<string, Pick[]> = {};
  for (const t of targets) await measure(t, { ...shape, seconds: Math.min(3, shape.seconds) }, logDir, logs);
  const drained = await drain(targets[0].storeDir!, drainSeconds);
  for (let i = 0; i < runs; i++) {
    for (const t of targets) {
      const r = strip(await measure(t, shape, logDir, logs));
      (out[t.name] ??= []).push(r);
      say(`  ${t.name} run ${i + 1}: ${Math.round(r.recordsPerS)} records/s, ${Math.round(r.requestsPerS)} req/s, p99 ${r.p99Ms.toFixed(1)} ms, server ${r.serverCores.toFixed(2)} cores, ${Math.round(r.serverCpuUsPerRequest)} µs/request${r.workerCores === null ? "" : `, worker ${r.workerCores.toFixed(2)} cores`}, backlog at start ${r.backlogStartMib ?? "?"} MiB`);
    }
  }
  return { runs: out, drain: drained };
}

const HELP = `npm run bench:intake -- [options]
  --quick                 1 run of 3 s per shape, 10 s overload, drain wait ≤ 60 s; writes bench/results/intake-quick.*
  --dirty                 allow uncommitted changes (the results say so)
  --runs N                measured runs per shape and target (default 3)
  --seconds S             seconds per run (default 5)
  --overload-seconds S    overload phase (default 60)
  --drain-seconds S       longest wait for serve's inbox to drain before each scenario (default 240)
  --out FILE.json         results file (default bench/results/intake.json); the .md beside it
  --keep                  keep the temp dir (store, floor file, acknowledgement logs)
Env BENCH_SERVE_NODE_FLAGS passes Node flags to serve (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
BENCH_SERVE_FLAGS more serve options (e.g. "--max-writes 4"; the results record them).
`;

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    process.stdout.write(HELP);
    return;
  }
  const quick = process.argv.includes("--quick");
  const dirty = process.argv.includes("--dirty");
  const runs = Number(flag("runs", quick ? "1" : "3"));
  const seconds = Number(flag("seconds", quick ? "3" : "5"));
  const overSeconds = Number(flag("overload-seconds", quick ? "10" : "60"));
  const drainSeconds = Number(flag("drain-seconds", quick ? "60" : "240"));
  const outPath = flag("out", quick ? "bench/results/intake-quick.json" : "bench/results/intake.json");
  const measured = benchTree(dirty);
  const load = [loadavg()[0]];
  const sampler = setInterval(() => load.push(loadavg()[0]), 5000);
  sampler.unref();
  const dir = mkdtempSync(join(tmpdir(), "tidemark-bench-intake-"));
  const logDir = join(dir, "acks");
  mkdirSync(logDir);
  const logs: string[] = [];
  const serveFlags = ["--rate", "1000000", "--burst", "1000000", ...(process.env.BENCH_SERVE_FLAGS ?? "").split(/\s+/).filter(Boolean)];
  const stack = await startStack(join(dir, "serve"));
  const serve = startServe(stack, serveFlags);
  const floor = startFloorProcess(join(dir, "floor"));
  const targets: Target[] = [
    { name: "serve", proc: serve, url: await serve.url, worker: stack.worker, storeDir: stack.storeDir },
    { name: "floor", proc: floor, url: await floor.url, worker: stack.worker, storeDir: stack.storeDir },
  ];
  const records = 5_000_000;
  try {
    const shapes = {
      a: { clients: 16, batch: 100, seconds, records },
      b: { clients: 64, batch: 1, seconds, records },
      d: { clients: 64, batch: 10, seconds: seconds * 2, records, rate: 10_000 },
      probe: { clients: 128, batch: 100, seconds, records },
    };
    say(`a. 16 clients × 100 records/request, ${runs} runs of ${seconds} s`);
    const a = await sideBySide(targets, shapes.a, runs, drainSeconds, logDir, logs);
    say(`b. 64 clients × 1 record/request`);
    const b = await sideBySide(targets, shapes.b, runs, drainSeconds, logDir, logs);
    say(`b at nice 10. the same with the worker's threads at nice 10 (a separate row; the default is above)`);
    let bNice: SideBySide | null = null;
    if (stack.worker.renice(10)) {
      bNice = await sideBySide(targets, shapes.b, runs, drainSeconds, logDir, logs);
      if (!stack.worker.renice(0)) say("  the worker's nice value could not be set back to 0; later scenarios run with it at 10");
    } else say("  skipped: the worker's nice value could not be set");
    say(`d. offered 10,000 records/s (64 clients, 10 records/request, open loop)`);
    const d = await sideBySide(targets, shapes.d, runs, drainSeconds, logDir, logs);
    say(`e. capacity probe (128 clients × 100 records/request), then 3× for ${overSeconds} s`);
    const eDrain = await drain(stack.storeDir, drainSeconds);
    const probe = strip(await measure(targets[0], shapes.probe, logDir, logs));
    const capacity = Math.max(probe.recordsPerS, median(a.runs.serve.map((r) => r.recordsPerS)));
    const fullRate = median(a.runs.serve.map((r) => r.recordsPerS));
    const workerPeakRssMb = stack.worker.peakRssMb();
    const e = await overload(targets[0], capacity, 3, overSeconds, shapes.a, fullRate, 15, logDir, logs);
    say(`  overload: ${JSON.stringify(e)}`);
    const serveExit = await serve.stop();
    await stack.stop();
    say("checking every acknowledged id against the published version and the inbox...");
    const check = await checkAcks(stack.storeDir, BENCH_DATASET, logs);
    say(`  ${JSON.stringify(check)}`);
    clearInterval(sampler);
    const report: IntakeReport = {
      commit: measured, date: new Date().toISOString(), quick, runs, seconds, node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "?",
      memGb: Math.round(totalmem() / 2 ** 30), loadAverage: load, serveFlags, shapes, a: a.runs, b: b.runs, bNice: bNice?.runs ?? null, d: d.runs, drains: { a: a.drain, b: b.drain, bNice: bNice?.drain ?? null, d: d.drain, e: eDrain }, drainSeconds, probe, capacity, overload: e, overloadSeconds: overSeconds, check, serveExit, workerPeakRssMb,
    };
    writeResults(outPath, report, renderMarkdown(report));
  } finally {
    clearInterval(sampler);
    await Promise.all([serve.stop(), floor.stop()]);
    await stack.stop();
    if (!process.argv.includes("--keep")) rmSync(dir, { recursive: true, force: true });
    else say(`kept ${dir}`);
  }
}

runBench("bench:intake", main, say);
