/**
 * `npm run bench:intake`: push-intake goals of issue 13, side by side in one run on loopback:
 * `tidemark serve` (one process, `file://` store, default compaction triggers) with one `tidemark
 * worker` compacting on a Temporal dev server, against the floor server (bench/intake/floor.ts,
 * only group-write + fsync), with the same clients. Writes bench/results/intake.{json,md}.
 *
 * node dist/bench/intake/bench.js [--quick] [--dirty] [--runs 3] [--seconds 5] [--overload-seconds 60]
 *                                 [--out bench/results/intake.json] [--keep]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { checkAcks } from "./check.js";
import { BENCH_DATASET, killAll, startFloorProcess, startServe, startStack } from "./procs.js";
import { renderMarkdown, type IntakeReport } from "./report.js";
import { measure, overload, type RunFigures, type Shape, type Target } from "./scenarios.js";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const say = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function tree(allowDirty: boolean): string {
  const git = (...args: string[]) => spawnSync("git", args, { encoding: "utf8" }).stdout.trim();
  const changes = git("status", "--porcelain", "--untracked-files=no");
  if (changes !== "" && !allowDirty) {
    throw new Error(`The work tree has uncommitted changes (${changes.split("\n").length} files); commit them so the results record the commit they measured, or pass --dirty for a trial run.`);
  }
  return `${git("rev-parse", "HEAD")}${changes !== "" ? " + uncommitted changes (a trial, not a result)" : " (clean)"}`;
}

type Pick = Omit<RunFigures, "raw">;
const strip = (r: RunFigures & { raw?: unknown }): Pick => {
  const { raw: _raw, ...rest } = r;
  return rest;
};

/** Warm-up, then `runs` measured runs of `shape` on each target, interleaved so drift hits both. */
async function sideBySide(targets: Target[], shape: Shape, runs: number, logDir: string, logs: string[]): Promise<Record<string, Pick[]>> {
  const out: Record<string, Pick[]> = {};
  for (const t of targets) await measure(t, { ...shape, seconds: Math.min(3, shape.seconds) }, logDir, logs);
  for (let i = 0; i < runs; i++) {
    for (const t of targets) {
      const r = strip(await measure(t, shape, logDir, logs));
      (out[t.name] ??= []).push(r);
      say(`  ${t.name} run ${i + 1}: ${Math.round(r.recordsPerS)} records/s, ${Math.round(r.requestsPerS)} req/s, p99 ${r.p99Ms.toFixed(1)} ms, server ${r.serverCores.toFixed(2)} cores${r.workerCores === null ? "" : `, worker ${r.workerCores.toFixed(2)} cores`}`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const dirty = process.argv.includes("--dirty");
  const runs = Number(flag("runs", quick ? "1" : "3"));
  const seconds = Number(flag("seconds", quick ? "3" : "5"));
  const overSeconds = Number(flag("overload-seconds", quick ? "10" : "60"));
  const outPath = flag("out", quick ? "bench/results/intake-quick.json" : "bench/results/intake.json");
  const measured = tree(dirty);
  const load = [loadavg()[0]];
  const sampler = setInterval(() => load.push(loadavg()[0]), 5000);
  sampler.unref();
  const dir = mkdtempSync(join(tmpdir(), "tidemark-bench-intake-"));
  const logDir = join(dir, "acks");
  mkdirSync(logDir);
  const logs: string[] = [];
  const serveFlags = ["--rate", "1000000", "--burst", "1000000"];
  const stack = await startStack(join(dir, "serve"));
  const serve = startServe(stack, serveFlags);
  const floor = startFloorProcess(join(dir, "floor"));
  const targets: Target[] = [
    { name: "serve", proc: serve, url: await serve.url, worker: stack.worker },
    { name: "floor", proc: floor, url: await floor.url },
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
    const a = await sideBySide(targets, shapes.a, runs, logDir, logs);
    say(`b. 64 clients × 1 record/request`);
    const b = await sideBySide(targets, shapes.b, runs, logDir, logs);
    say(`d. offered 10,000 records/s (64 clients, 10 records/request, open loop)`);
    const d = await sideBySide(targets, shapes.d, runs, logDir, logs);
    say(`e. capacity probe (128 clients × 100 records/request), then 3× for ${overSeconds} s`);
    const probe = strip(await measure(targets[0], shapes.probe, logDir, logs));
    const capacity = Math.max(probe.recordsPerS, median(a.serve.map((r) => r.recordsPerS)));
    const fullRate = median(a.serve.map((r) => r.recordsPerS));
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
      memGb: Math.round(totalmem() / 2 ** 30), loadAverage: load, serveFlags, shapes, a, b, d, probe, capacity, overload: e, overloadSeconds: overSeconds, check, serveExit, workerPeakRssMb,
    };
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, JSON.stringify(report, null, 2) + "\n");
    const md = renderMarkdown(report);
    writeFileSync(outPath.replace(/\.json$/, ".md"), md);
    process.stdout.write(md);
  } finally {
    clearInterval(sampler);
    await Promise.all([serve.stop(), floor.stop()]);
    await stack.stop();
    if (!process.argv.includes("--keep")) rmSync(dir, { recursive: true, force: true });
    else say(`kept ${dir}`);
  }
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}

main().catch((err: unknown) => {
  killAll();
  say(`bench:intake failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
