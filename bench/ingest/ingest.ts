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
import { runScale } from "./scale.js";
import { startBenchStack, type BenchStack } from "./stack.js";
import { median, say } from "./stats.js";

function sampleLoad(): { samples: number[]; stop(): void } {
  const samples = [loadavg()[0]];
  const timer = setInterval(() => samples.push(loadavg()[0]), 5000);
  timer.unref();
  return { samples, stop: () => clearInterval(timer) };
}

async function scenarios(o: BenchOptions, stack: BenchStack, src: LoadSources | undefined, done: (r: ScenarioResult[]) => void): Promise<void> {
  const has = (...ids: string[]) => ids.some((id) => o.only.has(id as never));
  if (src && has("P1", "P2", "P3")) {
    const fileTarget = { suffix: "", storeUrl: `file://${join(stack.dir, "store")}`, deltaTable: (i: number, v: string) => join(stack.dir, "deltars", `${v}_${i}`) };
    done((await runLoad(stack, src, o.runs, fileTarget, true)).filter((r) => o.only.has(r.id as never)));
  }
  if (has("P5")) done([await runOverhead(stack, o.p5Runs)]);
  if (src && has("P6")) done([await runRecovery(stack, src.v1, o.quick ? 1 : o.runs)]);
  if (src && has("MINIO")) {
    const minio = await startBenchMinio(stack.dir);
    try {
      done(await runLoad(stack, src, o.runs, minio.target, false));
    } finally {
      await minio.stop();
    }
  }
  if (has("P4")) done([await runScale(stack, o.p4Base, o.p4Source, o.runs)]);
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
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
    sizes: { series: o.series, months: o.months, daily: o.daily, runs: o.runs, p4Base: o.p4Base, p4Source: o.p4Source, p5Runs: o.p5Runs },
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
  const stack = await startBenchStack(dir);
  try {
    await scenarios(o, stack, src, (rs) => {
      results.push(...rs);
      const s = [...load.samples].sort((a, b) => a - b);
      conditions.load = { min: +s[0].toFixed(1), median: +median(s).toFixed(1), max: +s[s.length - 1].toFixed(1), samples: s.length };
      conditions.durationS = Math.round((Date.now() - started) / 1000);
      md = writeReport(o.out, results, conditions);
      say(`${rs.map((r) => r.id).join(", ")} done; results in ${o.out}`);
    });
  } finally {
    load.stop();
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
