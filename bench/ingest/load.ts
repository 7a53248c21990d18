import { spawn } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { IngestResult } from "../../src/contracts.js";
import { ingestWorkflowId } from "../../src/one-writer.js";
import { deltaMerge, type DeltaMerge } from "./deltars.js";
import { duckdbCopy } from "./duckdb.js";
import { runTiming } from "./history.js";
import type { Baseline, ScenarioResult } from "./result.js";
import { ingest, withWorker, type BenchStack, type IngestRun } from "./stack.js";
import { median, medianRecords, ratio, say } from "./stats.js";

const BIN = join(__dirname, "..", "..", "..", "bin", "tidemark.js");

/** The generated sources of P1/P2/P3. */
export interface LoadSources {
  v1: string;
  v2: string;
  changes: string;
}

/** Where the load scenarios write: the file store, or MinIO with its S3 settings. */
export interface LoadTarget {
  /** "" for file://, "-minio" for MinIO; suffixes the scenario ids. */
  suffix: string;
  storeUrl: string;
  workerExtra?: Record<string, string>;
  /** Upload of DuckDB's Parquet file into the same store (MinIO), timed with it. */
  duckUpload?: (body: Buffer) => Promise<void>;
  /** delta-rs table location of run `i` and its storage options. */
  deltaTable: (i: number, variant: string) => string;
  deltaStorage?: Record<string, string>;
}

interface CliRun {
  ms: number;
  workflowMs: number;
  /** `tidemark --help`: Node start plus loading the CLI's modules, no Temporal connection. */
  bootMs: number;
  status: string;
}

async function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number | null; out: string; err: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { ms: Math.round(performance.now() - t0), code, out, err };
}

/** `tidemark ingest <ds> --source … --wait --json` as a user runs it, against the bench's server. */
async function cliIngest(stack: BenchStack, dataset: string, source: string): Promise<CliRun> {
  const env = { ...process.env, TEMPORAL_ADDRESS: stack.server.address, TEMPORAL_NAMESPACE: stack.server.namespace, TIDEMARK_TASK_QUEUE: stack.server.taskQueue, TIDEMARK_DATASETS: stack.datasetsDir };
  const boot = await runNode([BIN, "--help"], env);
  const { ms, code, out, err } = await runNode([BIN, "ingest", dataset, "--source", `file://${source}`, "--wait", "--json"], env);
  if (code !== 0) throw new Error(`tidemark ingest exited ${code}: ${err}${out}`);
  const result = JSON.parse(out) as IngestResult;
  const timing = await runTiming(stack.client.workflow.getHandle(ingestWorkflowId(dataset), result.runId));
  return { ms, workflowMs: timing.workflowMs, bootMs: boot.ms, status: result.status };
}

function baseline(name: string, runs: number[]): Baseline {
  return { name, ms: median(runs), runs };
}

function peak(runs: IngestRun[]): number {
  return Math.max(...runs.map((r) => r.peakRssMb));
}

/**
 * P1 initial load vs DuckDB, P2 1 % revised + 1 % new vs delta-rs merge, P3 the unchanged source
 * again through the CLI (file store) — one child worker, a fresh dataset per run, run 0 a warm-up.
 */
export async function runLoad(stack: BenchStack, src: LoadSources, runs: number, target: LoadTarget, withCli: boolean): Promise<ScenarioResult[]> {
  const p1: IngestRun[] = [];
  const p2: IngestRun[] = [];
  const p3: IngestRun[] = [];
  const cli: CliRun[] = [];
  const duck: number[] = [];
  const snap: DeltaMerge[] = [];
  const changes: DeltaMerge[] = [];
  let readyMs = 0;
  await withWorker(
    stack,
    target.storeUrl,
    async (worker) => {
      readyMs = worker.readyMs;
      for (let i = 0; i <= runs; i++) {
        const dataset = `load${target.suffix.replace("-", "_")}_${i}`;
        stack.define(dataset, src.v1);
        const d = await duckdbCopy(src.v1, join(stack.dir, "duck.parquet"), target.duckUpload);
        const a = await ingest(stack, worker, dataset, src.v1);
        // Unconditional update of every matched row: the same end state as updating only changed
        // rows, and much faster in delta-rs than a `t.value IS DISTINCT FROM s.value` predicate.
        const s = deltaMerge(target.deltaTable(i, "snapshot"), src.v1, src.v2, false, target.deltaStorage);
        const c = deltaMerge(target.deltaTable(i, "changes"), src.v1, src.changes, false, target.deltaStorage);
        const b = await ingest(stack, worker, dataset, src.v2);
        const u = withCli ? await cliIngest(stack, dataset, src.v2) : undefined;
        const r = withCli ? undefined : await ingest(stack, worker, dataset, src.v2);
        const label = i === 0 ? "warm-up" : `run ${i}`;
        say(`${label}${target.suffix}: duckdb ${d}, P1 ${a.ms} (${a.peakRssMb} MB), delta-rs ${s.totalMs}/${c.totalMs}, P2 ${b.ms} (${b.peakRssMb} MB), P3 ${u ? `${u.ms} cli / ${u.workflowMs} wf` : `${r?.ms}`} ms`);
        if (a.status !== "published" || b.status !== "published" || (u ?? r)?.status !== "unchanged") throw new Error(`unexpected statuses ${a.status}, ${b.status}, ${(u ?? r)?.status}`);
        if (i === 0) continue;
        duck.push(d);
        p1.push(a);
        p2.push(b);
        snap.push(s);
        changes.push(c);
        if (u) cli.push(u);
        if (r) p3.push(r);
      }
    },
    target.workerExtra,
  );
  const ms = (xs: { ms: number }[]) => xs.map((x) => x.ms);
  const duckBase = baseline(target.duckUpload ? "DuckDB CSV→Parquet (zstd) + PUT" : "DuckDB CSV→Parquet (zstd)", duck);
  const deltaBase = baseline("delta-rs merge of the snapshot (read CSV + merge, in Python)", snap.map((m) => m.totalMs));
  const p1ms = median(ms(p1));
  const p2ms = median(ms(p2));
  const mergeDetails = (xs: DeltaMerge[]) => ({ readMs: median(xs.map((x) => x.readMs)), mergeMs: median(xs.map((x) => x.mergeMs)), totalMs: median(xs.map((x) => x.totalMs)), wallMs: median(xs.map((x) => x.wallMs)), metrics: xs[0]?.metrics });
  const where = target.suffix ? " (MinIO)" : "";
  const out: ScenarioResult[] = [
    {
      id: `P1${target.suffix}`,
      title: `P1 initial load, ${p1[0].rows.toLocaleString("en")} rows${where}`,
      ms: p1ms,
      runs: ms(p1),
      baseline: duckBase,
      ratio: ratio(p1ms, duckBase.ms),
      goal: "≤ 3×",
      met: p1ms <= 3 * duckBase.ms,
      peakRssMb: peak(p1),
      details: { activities: medianRecords(p1.map((r) => r.timing.activities)), workflowMs: median(p1.map((r) => r.timing.workflowMs)), workerStartMs: readyMs },
    },
    {
      id: `P2${target.suffix}`,
      title: `P2 1% revised + 1% new rows${where}`,
      ms: p2ms,
      runs: ms(p2),
      baseline: deltaBase,
      ratio: ratio(p2ms, deltaBase.ms),
      goal: "< 1.0×",
      met: p2ms < deltaBase.ms,
      peakRssMb: peak(p2),
      details: {
        activities: medianRecords(p2.map((r) => r.timing.activities)),
        deltarsSnapshotMerge: mergeDetails(snap),
        deltarsChangesOnlyMerge: mergeDetails(changes),
        ratioVsEndToEndWall: ratio(p2ms, median(snap.map((m) => m.wallMs))),
        ratioVsChangesOnly: ratio(p2ms, median(changes.map((m) => m.totalMs))),
      },
    },
  ];
  if (withCli) {
    const cliMs = median(ms(cli));
    out.push({ id: `P3${target.suffix}`, title: "P3 unchanged source, CLI start → done", ms: cliMs, runs: ms(cli), goal: "< 500 ms", met: cliMs < 500, details: { workflowMs: median(cli.map((c) => c.workflowMs)), cliBootMs: median(cli.map((c) => c.bootMs)) } });
  } else {
    const p3ms = median(ms(p3));
    out.push({ id: `P3${target.suffix}`, title: `P3 unchanged source, client start → result${where}`, ms: p3ms, runs: ms(p3), goal: "< 500 ms", met: p3ms < 500, details: { workflowMs: median(p3.map((r) => r.timing.workflowMs)), activities: medianRecords(p3.map((r) => r.timing.activities)) } });
  }
  return out;
}
