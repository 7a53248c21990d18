/**
 * `npm run bench`: Tidemark's performance scenarios (SPEC §10, bench/README.md) through the real
 * `ingestDataset` workflow on a Temporal dev server, each next to its baseline measured in the same
 * run. The worker runs as a child process (`tidemark worker`) so its peak RSS is its own.
 *
 *   npm run bench -- [--quick] [--only P1,P2,P3,P4,P5,P6,P7,MINIO,STALL] [--series 2000] [--months 500]
 *                    [--daily 0] [--runs 3] [--p4-base 10000000] [--p4-source 1000000]
 *                    [--p5-runs 20] [--p7-series 20000] [--p7-months 500]
 *                    [--out bench/results/latest.json] [--keep] [--dirty]
 *
 * Prints the Markdown table on stdout and writes `<out>.json` and `<out>.md` after every scenario.
 */
import { mkdtempSync, realpathSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { writeSources } from "./data.js";
import { deltarsVersions, ensureVenv } from "./deltars.js";
import { runInitialLoad } from "./initial.js";
import { runLoad, type LoadSources, type OriginAnswers, type P3Origins } from "./load.js";
import { startBenchMinio, type BenchMinio } from "./minio.js";
import { parseOptions, USAGE, type BenchOptions } from "./options.js";
import { runOverhead } from "./overhead.js";
import { runRecovery } from "./recovery.js";
import { writeReport, type Conditions } from "./report.js";
import type { ScenarioResult } from "./result.js";
import { judgeAtGoalSize } from "./goal-size.js";
import { runStall } from "./stall.js";
import { runScale } from "./scale.js";
import { startBenchStack, stopSharedWorker, type BenchStack } from "./stack.js";
import { killAllWorkers } from "./worker.js";
import { median, say } from "./stats.js";
import { startHttpsSource, type HttpsSource } from "./serve.js";
import { benchTree } from "../tree.js";

function sampleLoad(): { samples: number[]; stop(): void } {
  const samples = [loadavg()[0]];
  const timer = setInterval(() => samples.push(loadavg()[0]), 5000);
  timer.unref();
  return { samples, stop: () => clearInterval(timer) };
}

/** The servers P3 reads its `https://` and `s3://` sources from (MinIO is also the MINIO store). */
interface SourceServers {
  https: HttpsSource;
  minio: BenchMinio;
  origins: P3Origins;
  /** Worker environment: S3 endpoint, the allow-list covering the three sources, the loopback CA. */
  workerExtra: Record<string, string>;
  stop(): Promise<void>;
}

/** The running source servers, stopped on SIGINT/SIGTERM too. */
let liveServers: SourceServers | undefined;

/** Counts what an origin answered: requests, 304s and body bytes. */
function tally(entries: readonly { status: number; bytes: number }[]): OriginAnswers {
  return { requests: entries.length, notModified: entries.filter((e) => e.status === 304).length, bytes: entries.reduce((n, e) => n + e.bytes, 0) };
}

/** MinIO's audit entries after `since`, once the first has arrived (at most 5 s later). */
async function auditedAfter(minio: BenchMinio, since: number): Promise<OriginAnswers> {
  const until = Date.now() + 5000;
  while (minio.sourceRequests().length <= since && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return tally(minio.sourceRequests().slice(since).map((e) => ({ status: e.statusCode, bytes: e.statusCode === 200 ? e.tx : 0 })));
}

async function startSourceServers(dir: string, src: LoadSources): Promise<SourceServers> {
  const https = await startHttpsSource(dir, [src.v1, src.v2]);
  let minio: BenchMinio;
  try {
    minio = await startBenchMinio(dir);
  } catch (err) {
    await https.stop();
    throw err;
  }
  let s3: string;
  try {
    s3 = await minio.upload(src.v2, "sources/v2.csv");
  } catch (err) {
    await Promise.allSettled([https.stop(), minio.stop()]);
    throw err;
  }
  const allow = [`${pathToFileURL(realpathSync(tmpdir())).href}/`, https.prefix, "s3://bench/sources/"].join(",");
  say(`sources: ${https.prefix} (loopback HTTPS) and ${s3} (MinIO); worker allow-list ${allow}`);
  liveServers = {
    https,
    minio,
    origins: {
      uris: { file: `file://${src.v2}`, https: https.url(src.v1), s3 },
      mark: (scheme) => (scheme === "https" ? https.log().length : minio.sourceRequests().length),
      answered: async (scheme, since) => (scheme === "https" ? tally(https.log().slice(since)) : auditedAfter(minio, since)),
    },
    workerExtra: { ...minio.s3Env, TIDEMARK_SOURCE_ALLOW: allow, NODE_EXTRA_CA_CERTS: https.caPath },
    stop: async () => {
      const log = https.log();
      say(`loopback HTTPS source answered ${log.length} requests: ${log.filter((r) => r.status === 304).length} × 304 (all conditional), ${log.filter((r) => r.status === 200).length} × 200 (${log.filter((r) => r.conditional && r.status === 200).length} of them conditional)`);
      liveServers = undefined;
      await https.stop();
      await minio.stop();
    },
  };
  return liveServers;
}

/** Runs the selected scenarios in order; a failing one is recorded (with its error) and the rest still run. */
async function scenarios(o: BenchOptions, stack: BenchStack, src: LoadSources | undefined, p6Source: { path: string; rows: number } | undefined, done: (r: ScenarioResult[]) => void): Promise<void> {
  const has = (...ids: string[]) => ids.some((id) => o.only.has(id as never));
  const attempt = async (ids: string[], fn: () => Promise<ScenarioResult[]>, keep = (_: ScenarioResult) => true) => {
    try {
      const rs = (await fn()).filter(keep);
      if (rs.length > 0) done(rs);
    } catch (err) {
      const causes: string[] = [];
      for (let e: unknown = err; e instanceof Error && causes.length < 6; e = e.cause) causes.push(e.message);
      say(`${ids.join(",")} failed: ${causes.join(" ← ")}\n${(err as Error).stack}`);
      done(ids.map((id) => ({ id, title: `${id} (failed)`, ms: 0, runs: [], goal: "—", met: null, error: causes.join(" ← ").slice(0, 2000) })));
    }
  };
  const p4 = () => attempt(["P4"], async () => [await runScale(stack, o.p4Base, o.p4Source, o.runs, o.p4Parts, o.quick ? 50 : 500)]);
  let servers: SourceServers | undefined;
  if (src && has("P1", "P2", "P3", "MINIO")) {
    await attempt(["P1", "P2", "P3", "MINIO"].filter((id) => has(id)), async () => {
      servers = await startSourceServers(stack.dir, src);
      return [];
    });
  }
  try {
    if (src && servers && has("P1", "P2", "P3")) {
      const fileTarget = {
        suffix: "",
        storeUrl: `file://${join(stack.dir, "store")}`,
        workerExtra: servers.workerExtra,
        deltaTable: (i: number, v: string) => join(stack.dir, "deltars", `${v}_${i}`),
        dropDeltaTables: (i: number) => ["partitioned", "update-all", "changed-only", "changes"].forEach((v) => rmSync(join(stack.dir, "deltars", `${v}_${i}`), { recursive: true, force: true })),
      };
      const origins = servers.origins;
      await attempt(["P1", "P2", "P3"].filter((id) => has(id)), () => runLoad(stack, src, o.runs, fileTarget, origins), (r) => has(r.id.split("-")[0]));
    }
    if (has("P5")) await attempt(["P5"], async () => [await runOverhead(stack, o.p5Runs)]);
    // The long, memory-hungry P4 and P7 go last in a full run; in quick mode P4 shares the file-store worker.
    if (has("P4") && o.quick) await p4();
    if (p6Source && has("P6")) await attempt(["P6"], async () => [await runRecovery(stack, p6Source.path, p6Source.rows, o.quick ? 1 : o.runs)]);
    if (src && servers && has("MINIO")) {
      const { minio, origins, workerExtra } = servers;
      await attempt(["MINIO"], () => runLoad(stack, src, o.runs, { ...minio.target, workerExtra }, origins));
    }
  } finally {
    await servers?.stop();
  }
  if (has("STALL")) await attempt(["STALL"], async () => [await runStall(stack, o.stallSeries, o.months)]);
  if (has("P4") && !o.quick) await p4();
  if (has("P7")) await attempt(["P7"], async () => [await runInitialLoad(stack, o.p7Series, o.p7Months, o.runs)]);
}

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(USAGE);
    return;
  }
  const o = parseOptions(process.argv.slice(2));
  const measured = benchTree(o.dirty);
  const started = Date.now();
  const load = sampleLoad();
  const dir = mkdtempSync(join(tmpdir(), "tidemark-bench-"));
  say(`working in ${dir}; scenarios ${[...o.only].join(",")}`);
  let src: LoadSources | undefined;
  let p6Source: { path: string; rows: number } | undefined;
  const conditions: Conditions = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    load: { min: 0, median: 0, max: 0, samples: 0 },
    baselines: "",
    args: process.argv.slice(2).join(" "),
    tree: measured,
    sizes: { series: o.series, months: o.months, daily: o.daily, runs: o.runs, p4Base: o.p4Base, p4Source: o.p4Source, p4Parts: o.p4Parts, p5Runs: o.p5Runs, p6Series: o.p6Series, p7Series: o.p7Series, p7Months: o.p7Months, stallSeries: o.stallSeries },
  };
  if (["P1", "P2", "P3", "MINIO"].some((id) => o.only.has(id as never))) {
    src = { v1: join(dir, "v1.csv"), v2: join(dir, "v2.csv"), changes: join(dir, "changes.csv") };
    const rows = writeSources({ series: o.series, months: o.months, daily: o.daily }, src.v1, src.v2, src.changes);
    conditions.source = { ...rows, csvMB: Math.round(statSync(src.v1).size / 1e5) / 10 };
    say(`sources: v1 ${rows.v1Rows} rows (${conditions.source.csvMB} MB), v2 ${rows.v2Rows}, changes ${rows.changedRows}`);
  }
  if (o.only.has("P6")) {
    const path = join(dir, "p6.csv");
    const rows = writeSources({ series: o.p6Series, months: o.months, daily: 0 }, path, join(dir, "p6-v2.csv"), join(dir, "p6-changes.csv")).v1Rows;
    p6Source = { path, rows };
    say(`P6 source: ${rows} rows`);
  }
  if (["P1", "P2", "P3", "P4", "P7", "MINIO"].some((id) => o.only.has(id as never))) {
    ensureVenv();
    conditions.baselines = `DuckDB ${require("@duckdb/node-api/package.json").version}, ${deltarsVersions()}`;
  } else conditions.baselines = `DuckDB ${require("@duckdb/node-api/package.json").version}`;
  const results: ScenarioResult[] = [];
  let md = "";
  const stack = await startBenchStack(dir, o.quick);
  const interrupted = () => {
    say("interrupted: stopping the workers, the source servers and the dev server");
    killAllWorkers();
    void Promise.allSettled([stack.server.stop(), liveServers?.stop()])
      .then(() => o.keep || rmSync(dir, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    let sampled = 0;
    await scenarios(o, stack, src, p6Source, (rs) => {
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
