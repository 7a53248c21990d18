/**
 * End-to-end ingest benchmark (not a test): a generated 2,000 series × 500 months CSV through the
 * real `ingestDataset` workflow on an embedded Temporal dev server with an in-process worker and a
 * file:// store, next to DuckDB's CSV→Parquet on the same file.
 *
 *   npm run bench -- [--series 2000] [--months 500] [--runs 3] [--out bench/results/latest.json]
 *
 * P1 initial load, P2 1 % revised + 1 % new rows, P3 the same source again (unchanged); each
 * run after one warm-up uses a fresh dataset. Prints a Markdown table and writes the JSON.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import type { Client } from "@temporalio/client";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import type { IngestResult } from "../../src/contracts.js";
import { startEmbeddedStack } from "../../src/devstack/embedded.js";
import { ingestWorkflowId } from "../../src/one-writer.js";
import { definitionYaml, writeSources } from "./data.js";
import { activityTimes } from "./history.js";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

const series = Number(option("series", "2000"));
const months = Number(option("months", "500"));
const runs = Number(option("runs", "3"));
const out = resolve(option("out", "bench/results/latest.json"));

interface Phase {
  ms: number;
  status: string;
  activities: Record<string, number>;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function medianActivities(phases: Phase[]): Record<string, number> {
  const names = [...new Set(phases.flatMap((p) => Object.keys(p.activities)))];
  return Object.fromEntries(names.map((n) => [n, Math.round(median(phases.map((p) => p.activities[n] ?? 0)))]));
}

async function ingest(client: Client, taskQueue: string, dataset: string, source: string): Promise<Phase> {
  const workflowId = ingestWorkflowId(dataset);
  const t0 = performance.now();
  const handle = await client.workflow.start("ingestDataset", { workflowId, taskQueue, args: [{ dataset, source: `file://${source}` }] });
  const result = (await handle.result()) as IngestResult;
  const ms = performance.now() - t0;
  return { ms: Math.round(ms), status: result.status, activities: await activityTimes(handle) };
}

async function duckdb(csv: string, parquet: string): Promise<number> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    rmSync(parquet, { force: true });
    const t0 = performance.now();
    await conn.run(`COPY (SELECT * FROM read_csv('${csv}')) TO '${parquet}' (FORMAT parquet, COMPRESSION zstd)`);
    return Math.round(performance.now() - t0);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function table(summary: Record<string, unknown>, p1: Phase[], p2: Phase[], p3: Phase[], duck: number[]): string {
  const row = (name: string, phases: Phase[], extra = "") => `| ${name} | ${median(phases.map((p) => p.ms))} | ${phases.map((p) => p.ms).join(", ")} | ${extra} |`;
  const lines = [
    `Ingest benchmark: ${summary.rows} rows (${summary.series} series × ${summary.months} months), ${summary.csvMB} MB CSV, ${runs} runs after a warm-up`,
    "",
    "| phase | median ms | runs ms | note |",
    "|---|---|---|---|",
    `| DuckDB CSV→Parquet (zstd) | ${median(duck)} | ${duck.join(", ")} | baseline |`,
    row("P1 initial load", p1, `${summary.p1VsDuckdb}× DuckDB`),
    row("P2 1 % revised + 1 % new", p2),
    row("P3 unchanged source", p3),
    "",
    "| activity (median ms) | P1 | P2 | P3 |",
    "|---|---|---|---|",
  ];
  const [a1, a2, a3] = [medianActivities(p1), medianActivities(p2), medianActivities(p3)];
  for (const name of [...new Set([...Object.keys(a1), ...Object.keys(a2), ...Object.keys(a3)])]) {
    lines.push(`| ${name} | ${a1[name] ?? "–"} | ${a2[name] ?? "–"} | ${a3[name] ?? "–"} |`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-bench-ingest-"));
  const v1 = join(dir, "v1.csv");
  const v2 = join(dir, "v2.csv");
  const { v1Rows, v2Rows } = writeSources({ series, months }, v1, v2);
  const datasetsDir = join(dir, "datasets");
  mkdirSync(datasetsDir);
  mkdirSync(join(dir, "store"));
  const datasets = Array.from({ length: runs + 1 }, (_, i) => `bench_${i}`);
  for (const d of datasets) writeFileSync(join(datasetsDir, `${d}.yaml`), definitionYaml(d, v1));
  const stack = await startEmbeddedStack({ port: "any", uiPort: false, storeUrl: `file://${join(dir, "store")}`, datasetsDir, log: (l) => console.error(l) });
  const p1: Phase[] = [];
  const p2: Phase[] = [];
  const p3: Phase[] = [];
  const duck: number[] = [];
  try {
    for (const [i, dataset] of datasets.entries()) {
      const d = await duckdb(v1, join(dir, "duck.parquet"));
      const phases = [
        await ingest(stack.client, stack.taskQueue, dataset, v1),
        await ingest(stack.client, stack.taskQueue, dataset, v2),
        await ingest(stack.client, stack.taskQueue, dataset, v2),
      ];
      console.error(`${i === 0 ? "warm-up" : `run ${i}`}: duckdb ${d} ms, ${phases.map((p) => `${p.status} ${p.ms} ms`).join(", ")}`);
      if (i === 0) continue;
      duck.push(d);
      p1.push(phases[0]);
      p2.push(phases[1]);
      p3.push(phases[2]);
    }
  } finally {
    await stack.stop();
  }
  const p1Median = median(p1.map((p) => p.ms));
  const summary = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    series,
    months,
    rows: v1Rows,
    rowsV2: v2Rows,
    csvMB: Math.round(statSync(v1).size / 1e5) / 10,
    duckdbMs: median(duck),
    p1Ms: p1Median,
    p2Ms: median(p2.map((p) => p.ms)),
    p3Ms: median(p3.map((p) => p.ms)),
    p1VsDuckdb: Math.round((p1Median / median(duck)) * 10) / 10,
  };
  const markdown = table(summary, p1, p2, p3, duck);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ ...summary, activities: { p1: medianActivities(p1), p2: medianActivities(p2), p3: medianActivities(p3) }, runs: { duck, p1, p2, p3 } }, null, 2)}\n`);
  console.log(markdown);
  rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
