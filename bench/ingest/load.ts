import { join } from "node:path";
import { cliIngest, type CliRun } from "./cli.js";
import { deltaLoad, deltaMerge, type DeltaLoad, type DeltaMerge, type MergeVariant } from "./deltars.js";
import { duckdbCopy } from "./duckdb.js";
import type { Baseline, ScenarioResult } from "./result.js";
import { ingest, withWorker, type BenchStack, type IngestRun } from "./stack.js";
import type { ChildWorker } from "./worker.js";
import { median, medianRecords, ratio, say } from "./stats.js";

/** The generated sources of P1/P2/P3. */
export interface LoadSources {
  v1: string;
  v2: string;
  changes: string;
}

/** The source schemes P3 times, each naming the same `v2` content. */
export const P3_SCHEMES = ["file", "https", "s3"] as const;

/** P3's sources: `v2` as a `file://` and a MinIO `s3://` URI, `v1` as a loopback `https://` URI (see {@link loadOnce}). */
export type P3Uris = Record<(typeof P3_SCHEMES)[number], string>;

/** What a source's origin answered to the requests of one timed run. */
export interface OriginAnswers {
  requests: number;
  /** 304 Not Modified answers (a conditional request confirmed the recorded ETag). */
  notModified: number;
  /** Body bytes the origin sent. */
  bytes: number;
}

/** The `https://` and `s3://` origins' request logs, read around each timed run. */
export interface P3Origins {
  uris: P3Uris;
  /** A position in the origin's log: requests after it belong to the next run. */
  mark(scheme: "https" | "s3"): number;
  /** The origin's answers after `since` (MinIO's audit arrives asynchronously: waits for the first entry, at most 5 s). */
  answered(scheme: "https" | "s3", since: number): Promise<OriginAnswers>;
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
  /** Removes run `i`'s delta-rs tables (file targets; MinIO's data dir goes with the bench's). */
  dropDeltaTables?: (i: number) => void;
}

function describeAnswers(a: OriginAnswers): string {
  return `${a.requests} request${a.requests === 1 ? "" : "s"}, ${a.notModified} × 304, ${a.bytes} body bytes`;
}

function baseline(name: string, runs: number[]): Baseline {
  return { name, ms: median(runs), runs };
}

function peak(runs: IngestRun[]): number {
  return Math.max(...runs.map((r) => r.peakRssMb));
}

const VARIANTS: MergeVariant[] = ["update-all", "changed-only"];

interface LoadRun {
  duck: number;
  partitioned: DeltaLoad;
  p1: IngestRun;
  merges: Record<MergeVariant, DeltaMerge>;
  changesOnly: DeltaMerge;
  p2: IngestRun;
  p3: Record<string, CliRun>;
  /** What the origin answered during each timed `https`/`s3` run. */
  origin: Record<string, OriginAnswers>;
}

/**
 * One run of P1, P2 and P3. P3 re-runs each scheme's source unchanged through the CLI, on a version
 * published from that same URI (so an `https`/`s3` run can revalidate the recorded strong ETag):
 * `file://v2` right after P2; then `https://…/v1.csv` (its publish reverts P2's changes), then
 * `s3://…/v2.csv` (its publish applies them again), each published by one client ingest first.
 */
async function loadOnce(stack: BenchStack, worker: ChildWorker, src: LoadSources, target: LoadTarget, origins: P3Origins, i: number): Promise<LoadRun> {
  const uris = origins.uris;
  const dataset = `load${target.suffix.replace("-", "_")}_${i}`;
  stack.define(dataset, src.v1);
  const duck = await duckdbCopy(src.v1, join(stack.dir, "duck.parquet"), target.duckUpload);
  const partitioned = deltaLoad(target.deltaTable(i, "partitioned"), src.v1, target.deltaStorage);
  const p1 = await ingest(stack, worker, dataset, src.v1);
  const merges = Object.fromEntries(VARIANTS.map((v) => [v, deltaMerge(target.deltaTable(i, v), src.v1, src.v2, v, target.deltaStorage)])) as Record<MergeVariant, DeltaMerge>;
  const changesOnly = deltaMerge(target.deltaTable(i, "changes"), src.v1, src.changes, "update-all", target.deltaStorage);
  target.dropDeltaTables?.(i);
  const p2 = await ingest(stack, worker, dataset, src.v2);
  if (p1.status !== "published" || p2.status !== "published") throw new Error(`P1/P2 run ${i}: statuses ${p1.status}, ${p2.status} (expected published twice)`);
  const p3: Record<string, CliRun> = {};
  const origin: Record<string, OriginAnswers> = {};
  for (const scheme of P3_SCHEMES) {
    if (scheme !== "file") {
      const base = await ingest(stack, worker, dataset, uris[scheme]);
      if (base.status !== "published") throw new Error(`P3 ${scheme}:// run ${i}: the base ingest of ${uris[scheme]} ended ${base.status} (expected published, so the version records that source)`);
    }
    const since = scheme === "file" ? 0 : origins.mark(scheme);
    p3[scheme] = await cliIngest(stack, dataset, uris[scheme]);
    if (p3[scheme].status !== "unchanged") throw new Error(`P3 ${scheme}:// run ${i}: status ${p3[scheme].status} (expected unchanged)`);
    if (scheme !== "file") origin[scheme] = await origins.answered(scheme, since);
  }
  return { duck, partitioned, p1, merges, changesOnly, p2, p3, origin };
}

/**
 * P1 initial load vs delta-rs partitioned load and DuckDB single-file CSV→Parquet, P2 1 % revised +
 * 1 % new vs both delta-rs merge variants, P3 the unchanged source again through the CLI for
 * `file://`, `https://` and `s3://` — one child worker, a fresh dataset per run, run 0 a warm-up.
 */
export async function runLoad(stack: BenchStack, src: LoadSources, runs: number, target: LoadTarget, origins: P3Origins): Promise<ScenarioResult[]> {
  const measured: LoadRun[] = [];
  let readyMs = 0;
  await withWorker(
    stack,
    target.storeUrl,
    async (worker) => {
      readyMs = worker.readyMs;
      for (let i = 0; i <= runs; i++) {
        const r = await loadOnce(stack, worker, src, target, origins, i);
        const p3 = P3_SCHEMES.map((s) => `${s} ${r.p3[s].ms}${r.origin[s] ? ` (origin: ${describeAnswers(r.origin[s])})` : ""}`).join(", ");
        say(`${i === 0 ? "warm-up" : `run ${i}`}${target.suffix}: P1 ${r.p1.ms} (${r.p1.peakRssMb} MB) vs delta-rs ${r.partitioned.totalMs} / duckdb ${r.duck}; P2 ${r.p2.ms} (${r.p2.peakRssMb} MB) vs merge ${r.merges["update-all"].totalMs} / ${r.merges["changed-only"].totalMs}; P3 cli ${p3} ms`);
        if (i > 0) measured.push(r);
      }
    },
    target.workerExtra,
  );
  const p1 = measured.map((r) => r.p1);
  const p2 = measured.map((r) => r.p2);
  const p1ms = median(p1.map((r) => r.ms));
  const p2ms = median(p2.map((r) => r.ms));
  const where = target.suffix ? " (MinIO)" : "";
  const rows = p1[0].rows.toLocaleString("en");
  const p1Details = { activities: medianRecords(p1.map((r) => r.timing.activities)), workflowMs: median(p1.map((r) => r.timing.workflowMs)), workerStartMs: readyMs };
  const deltaLoadBase = baseline(`delta-rs write_deltalake partitioned by month (read CSV + write)${target.deltaStorage ? " into MinIO" : ""}`, measured.map((r) => r.partitioned.totalMs));
  const duckBase = baseline(target.duckUpload ? "DuckDB single-file CSV→Parquet (zstd) + PUT" : "DuckDB single-file CSV→Parquet (zstd)", measured.map((r) => r.duck));
  const mergeDetails = (xs: DeltaMerge[]) => ({ readMs: median(xs.map((x) => x.readMs)), mergeMs: median(xs.map((x) => x.mergeMs)), totalMs: median(xs.map((x) => x.totalMs)), wallMs: median(xs.map((x) => x.wallMs)), metrics: xs[0]?.metrics });
  const out: ScenarioResult[] = [
    {
      id: `P1${target.suffix}`,
      title: `P1 initial load, ${rows} rows, vs delta-rs partitioned${where}`,
      ms: p1ms,
      runs: p1.map((r) => r.ms),
      baseline: deltaLoadBase,
      ratio: ratio(p1ms, deltaLoadBase.ms),
      goal: "≤ 1.5×",
      met: p1ms <= 1.5 * deltaLoadBase.ms,
      peakRssMb: peak(p1),
      details: { ...p1Details, deltarsLoad: { readMs: median(measured.map((r) => r.partitioned.readMs)), writeMs: median(measured.map((r) => r.partitioned.writeMs)), wallMs: median(measured.map((r) => r.partitioned.wallMs)) } },
    },
    {
      id: `P1-duckdb${target.suffix}`,
      title: `P1 initial load, ${rows} rows, vs DuckDB single file${where}`,
      ms: p1ms,
      runs: p1.map((r) => r.ms),
      baseline: duckBase,
      ratio: ratio(p1ms, duckBase.ms),
      goal: "≤ 5×",
      met: p1ms <= 5 * duckBase.ms,
      peakRssMb: peak(p1),
    },
  ];
  for (const v of VARIANTS) {
    const merges = measured.map((r) => r.merges[v]);
    const base = baseline(`delta-rs merge, ${v} (read CSV + merge)${target.deltaStorage ? " in MinIO" : ""}`, merges.map((m) => m.totalMs));
    out.push({
      id: `P2${v === "update-all" ? "" : "-changed-only"}${target.suffix}`,
      title: `P2 1% revised + 1% new rows vs delta-rs merge ${v}${where}`,
      ms: p2ms,
      runs: p2.map((r) => r.ms),
      baseline: base,
      ratio: ratio(p2ms, base.ms),
      goal: "< 1.0×",
      met: p2ms < base.ms,
      peakRssMb: peak(p2),
      details:
        v === "update-all"
          ? { activities: medianRecords(p2.map((r) => r.timing.activities)), deltarsMerge: mergeDetails(merges), deltarsChangesOnlySource: mergeDetails(measured.map((r) => r.changesOnly)), ratioVsChangesOnlySource: ratio(p2ms, median(measured.map((r) => r.changesOnly.totalMs))) }
          : { deltarsMerge: mergeDetails(merges) },
    });
  }
  for (const s of P3_SCHEMES) {
    const cli = measured.map((r) => r.p3[s]);
    const ms = median(cli.map((c) => c.ms));
    const answers = measured.map((r) => r.origin[s]).filter((a) => a !== undefined);
    const revalidated = answers.filter((a) => a.notModified > 0 && a.bytes === 0).length;
    out.push({
      id: `P3-${s}${target.suffix}`,
      title: `P3 unchanged ${s}:// source, CLI start → done${where}${answers.length > 0 ? ` (304 without a body in ${revalidated}/${answers.length} runs)` : ""}`,
      ms,
      runs: cli.map((c) => c.ms),
      goal: "≤ 500 ms",
      met: ms <= 500,
      details: {
        workflowMs: median(cli.map((c) => c.workflowMs)),
        cliBootMs: median(cli.map((c) => c.bootMs)),
        cliBootNoCompileCacheMs: median(cli.map((c) => c.bootNoCacheMs)),
        ...(answers.length > 0 ? { origin: answers.map(describeAnswers).join("; ") } : {}),
      },
    });
  }
  return out;
}
