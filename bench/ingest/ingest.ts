/**
 * `npm run bench`: Tidemark's performance scenarios (SPEC §10, bench/README.md) through the real
 * `ingestDataset` workflow on a Temporal dev server, each next to its baseline measured in the same
 * run. The worker runs as a child process (`tidemark worker`) so its peak RSS is its own.
 *
 *   npm run bench -- [--quick] [--only P1,P2,P3,P4,P5,P6,MINIO] [--series 2000] [--months 500]
 *                    [--daily 0] [--runs 3] [--p4-base 10000000] [--p4-source 1000000]
 *                    [--p5-runs 20] [--out bench/results/latest.json] [--keep]
 *
 * Prints the Markdown table on stdout and writes `<out>.json` and `<out>.md` after every scenario.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { writeSources } from "./data.js";
import { deltarsVersions, ensureVenv } from "./deltars.js";
import { runLoad, type LoadSources } from "./load.js";
import { startBenchMinio } from "./minio.js";
import { parseOptions, type BenchOptions } from "./options.js";
import { runOverhead } from "./overhead.js";
import { runRecovery } from "./recovery.js";
import { writeReport, type Conditions } from "./report.js";
import type { ScenarioResult } from "./result.js";
import { judgeAtGoalSize } from "./goal-size.js";
import { runStall } from "./stall.js";
import { runPlannerScale } from "./planner.js";
import { runScale } from "./scale.js";
import { startBenchStack, stopSharedWorker, type BenchStack } from "./stack.js";
import { killAllWorkers } from "./worker.js";
import { median, say } from "./stats.js";

function sampleLoad(): { samples: number[]; stop(): void } {
  const samples = [loadavg()[0]];
  const timer = setInterval(() => samples.push(loadavg()[0]), 5000);
  timer.unref();
  return { samples, stop: () => clearInterval(timer) };
}

/**
 * The commit measured. A results file comes from one run on one clean commit: with uncommitted
 * changes the bench refuses to run unless `--dirty` (a trial), and then records it.
 */
function tree(allowDirty: boolean): string {
  const git = (...args: string[]) => spawnSync("git", args, { encoding: "utf8" }).stdout.trim();
  const changes = git("status", "--porcelain", "--untracked-files=no");
  if (changes !== "" && !allowDirty) {
    throw new Error(`The work tree has uncommitted changes (${changes.split("\n").length} files); commit them so the results record the commit they measured, or pass --dirty for a trial run.`);
  }
  return `${git("rev-parse", "HEAD")}${changes !== "" ? " + uncommitted changes (a trial, not a result)" : " (clean)"}`;
}

/** Runs the selected scenarios in order; a failing one is recorded (with its error) and the rest still run. */
async function scenarios(o: BenchOptions, stack: BenchStack, src: LoadSources | undefined, done: (r: ScenarioResult[]) => void): Promise<void> {
  const has = (...ids: string[]) => ids.some((id) => o.only.has(id as never));
  const attempt = async (ids: string[], fn: () => Promise<ScenarioResult[]>, keep = (_: ScenarioResult) => true) => {
    try {
      done((await fn()).filter(keep));
    } catch (err) {
      const causes: string[] = [];
      for (let e: unknown = err; e instanceof Error && causes.length < 6; e = e.cause) causes.push(e.message);
      say(`${ids.join(",")} failed: ${causes.join(" ← ")}\n${(err as Error).stack}`);
      done(ids.map((id) => ({ id, title: `${id} (failed)`, ms: 0, runs: [], goal: "—", met: null, error: causes.join(" ← ").slice(0, 2000) })));
    }
  };
  if (src && has("P1", "P2", "P3")) {
    const fileTarget = { suffix: "", storeUrl: `file://${join(stack.dir, "store")}`, deltaTable: (i: number, v: string) => join(stack.dir, "deltars", `${v}_${i}`) };
    await attempt(["P1", "P2", "P3"].filter((id) => has(id)), () => runLoad(stack, src, o.runs, fileTarget, true), (r) => has(r.id));
  }
  const p4 = async () => {
    await attempt(["P4-planner"], async () => [await runPlannerScale(stack.dir, o.p4PlannerBase, o.p4PlannerSource)]);
    await attempt(["P4"], async () => [await runScale(stack, o.p4Base, o.p4Source, o.runs, o.p4Parts, o.quick ? 50 : 500)]);
  };
  if (has("P5")) await attempt(["P5"], async () => [await runOverhead(stack, o.p5Runs)]);
  // The long, memory-hungry P4 goes last in a full run; in quick mode it shares the file-store worker.
  if (has("P4") && o.quick) await p4();
  if (src && has("P6")) await attempt(["P6"], async () => [await runRecovery(stack, src.v1, o.quick ? 1 : o.runs)]);
  if (src && has("MINIO")) {
    await attempt(["MINIO"], async () => {
      const minio = await startBenchMinio(stack.dir);
      try {
        return await runLoad(stack, src, o.runs, minio.target, false);
      } finally {
        await minio.stop();
      }
    });
  }
  if (has("STALL")) await attempt(["STALL"], async () => [await runStall(stack, o.stallSeries, o.months)]);
  if (has("P4") && !o.quick) await p4();
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const measured = tree(o.dirty);
  const started = Date.now();
  const load = sampleLoad();
  const dir = mkdtempSync(join(tmpdir(), "tidemark-bench-"));
  say(`working in ${dir}; scenarios ${[...o.only].join(",")}`);
  let src: LoadSources | undefined;
  const conditions: Conditions = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    load: { min: 0, median: 0, max: 0, samples: 0 },
    baselines: "",
    args: process.argv.slice(2).join(" "),
    tree: measured,
    sizes: { series: o.series, months: o.months, daily: o.daily, runs: o.runs, p4Base: o.p4Base, p4Source: o.p4Source, p4Parts: o.p4Parts, p4PlannerBase: o.p4PlannerBase, p4PlannerSource: o.p4PlannerSource, p5Runs: o.p5Runs, stallSeries: o.stallSeries },
  };
  if (["P1", "P2", "P3", "P6", "MINIO"].some((id) => o.only.has(id as never))) {
    src = { v1: join(dir, "v1.csv"), v2: join(dir, "v2.csv"), changes: join(dir, "changes.csv") };
    const rows = writeSources({ series: o.series, months: o.months, daily: o.daily }, src.v1, src.v2, src.changes);
    conditions.source = { ...rows, csvMB: Math.round(statSync(src.v1).size / 1e5) / 10 };
    say(`sources: v1 ${rows.v1Rows} rows (${conditions.source.csvMB} MB), v2 ${rows.v2Rows}, changes ${rows.changedRows}`);
  }
  if (o.only.has("P2") || o.only.has("MINIO")) {
    ensureVenv();
    conditions.baselines = `DuckDB ${require("@duckdb/node-api/package.json").version}, ${deltarsVersions()}`;
  } else conditions.baselines = `DuckDB ${require("@duckdb/node-api/package.json").version}`;
  const results: ScenarioResult[] = [];
  let md = "";
  const stack = await startBenchStack(dir, o.quick);
  const interrupted = () => {
    say("interrupted: stopping the workers and the dev server");
    killAllWorkers();
    void stack.server
      .stop()
      .then(() => o.keep || rmSync(dir, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    let sampled = 0;
    await scenarios(o, stack, src, (rs) => {
      const during = load.samples.slice(sampled);
      sampled = load.samples.length;
      for (const r of rs) {
        const at = results.findIndex((x) => x.id === r.id);
        if (at >= 0) results.splice(at, 1);
        results.push({ ...judgeAtGoalSize(r, o), measuredAt: new Date().toISOString(), loadAverage: +median(during).toFixed(1) });
      }
      const s = [...load.samples].sort((a, b) => a - b);
      conditions.load = { min: +s[0].toFixed(1), median: +median(s).toFixed(1), max: +s[s.length - 1].toFixed(1), samples: s.length };
      conditions.durationS = Math.round((Date.now() - started) / 1000);
      md = writeReport(o.out, results, conditions);
      say(`${rs.map((r) => r.id).join(", ")} done; results in ${o.out}`);
    });
  } finally {
    load.stop();
    await stopSharedWorker(stack);
    await stack.server.stop();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(md);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
