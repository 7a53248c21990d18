import { WorkflowFailedError, type Client } from "@temporalio/client";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { startObservability, type Observability } from "../../src/observability/runtime";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, workspace } from "../workflows/ingest-fixtures";

/** The value of one sample line `name{labels} value` of a Prometheus exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}

describe("worker metrics", () => {
  const dataset = `metrics_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "snapshot");
  const taskQueue = uniqueTaskQueue("metrics");
  const store = new FsObjectStore(mkdtempSync(join(tmpdir(), "tidemark-metrics-")));
  let observability: Observability;
  let client: Client;
  let worker: RunningWorker;

  beforeAll(async () => {
    observability = await startObservability({ logFormat: "json", logLevel: "ERROR", metricsPort: 0, write: () => {} });
    expect(observability.runtimeInstalled).toBe(true);
    client = await testClient();
    worker = await startTestWorker({ store, datasetsDir: ws.datasetsDir, taskQueue, client, metrics: observability.metrics });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    await observability?.close();
  });

  const ingest = () => client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] }) as Promise<IngestResult>;

  it("counts a published run, its rows and bytes, and times every step", async () => {
    const rows = monthlySeries(["A", "B", "C", "D"], "2024-01", 6, (s, m) => m + s.charCodeAt(0));
    ws.writeSource(rows);
    const result = await ingest();
    expect(result.status).toBe("published");

    const text = await scrape(observability.metricsUrl!);
    expect(observability.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(sample(text, "tidemark_runs_total", { dataset, outcome: "published" })).toBe(1);
    expect(sample(text, "tidemark_rows_total", { dataset, op: "insert" })).toBe(rows.length);
    expect(sample(text, "tidemark_rows_total", { dataset, op: "update" })).toBe(0);
    expect(sample(text, "tidemark_rows_total", { dataset, op: "delete" })).toBe(0);
    expect(sample(text, "tidemark_bytes_written_total", { dataset })).toBeGreaterThan(0);
    for (const step of ["prepare", "write", "publish"]) {
      expect(sample(text, "tidemark_step_duration_seconds_count", { step }), step).toBeGreaterThanOrEqual(1);
      expect(sample(text, "tidemark_step_duration_seconds_bucket", { step, le: "+Inf" }), step).toBeGreaterThanOrEqual(1);
    }
    expect(text).toContain("# TYPE tidemark_cas_conflicts_total counter");
    expect(text).toContain("# TYPE tidemark_compensations_total counter");
    expect(text).toContain("# TYPE tidemark_verify_findings_total counter");
    expect(text).toContain("# TYPE tidemark_notify_failures_total counter");
    expect(text).toContain("tidemark_process_cpu_seconds_total");
  });

  it("counts the rows of a revision by operation", async () => {
    const rows = monthlySeries(["A", "B", "C", "E"], "2024-01", 6, (s, m) => (s === "A" && m < 2 ? -1 : m + s.charCodeAt(0)));
    ws.writeSource(rows);
    const result = await ingest();
    expect(result.status).toBe("published");
    expect(result.counts).toMatchObject({ inserted: 6, updated: 2, deleted: 6 });
    const text = await scrape(observability.metricsUrl!);
    expect(sample(text, "tidemark_runs_total", { dataset, outcome: "published" })).toBe(2);
    expect(sample(text, "tidemark_rows_total", { dataset, op: "insert" })).toBe(24 + 6);
    expect(sample(text, "tidemark_rows_total", { dataset, op: "update" })).toBe(2);
    expect(sample(text, "tidemark_rows_total", { dataset, op: "delete" })).toBe(6);
  });

  it("counts runs that did not publish by outcome: unchanged, dry-run and failed", async () => {
    expect((await ingest()).status).toBe("unchanged");
    const dry = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, dryRun: true }] })) as IngestResult;
    expect(dry.status).toBe("dry-run");
    const missing = `file://${join(tmpdir(), `tidemark-metrics-missing-${Date.now()}.csv`)}`;
    const failed = await client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, source: missing }] });
    await expect(failed.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect((await failed.describe()).memo).toMatchObject({ status: "failed", parentVersion: expect.any(String) });

    const text = await scrape(observability.metricsUrl!);
    expect(sample(text, "tidemark_runs_total", { dataset, outcome: "published" })).toBe(2);
    expect(sample(text, "tidemark_runs_total", { dataset, outcome: "unchanged" })).toBe(1);
    expect(sample(text, "tidemark_runs_total", { dataset, outcome: "dry-run" })).toBe(1);
    expect(sample(text, "tidemark_runs_total", { dataset, outcome: "failed" })).toBe(1);
    expect(sample(text, "tidemark_runs_total", { dataset, outcome: "cancelled" })).toBeUndefined();
  });

  it("counts a cancelled run and leaves a cancelled memo", async () => {
    const cancelled = `${dataset}_cancel`;
    const cws = workspace(cancelled, "snapshot");
    cws.writeSource(monthlySeries(["A"], "2024-01", 3, (_s, m) => m));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const held = new Promise<void>((resolve) => (reached = resolve));
    const cancelQueue = uniqueTaskQueue("metrics-cancel");
    const faults = async (point: string) => {
      if (point !== "write:end") return;
      reached();
      await gate;
    };
    const worker = await startTestWorker({ store, datasetsDir: cws.datasetsDir, taskQueue: cancelQueue, client, metrics: observability.metrics, faults });
    try {
      const handle = await client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(cancelled), taskQueue: cancelQueue, args: [{ dataset: cancelled }] });
      await held;
      await handle.cancel();
      release();
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      expect((await handle.describe()).memo).toMatchObject({ status: "cancelled", counts: { inserted: 3 } });
      const text = await scrape(observability.metricsUrl!);
      expect(sample(text, "tidemark_runs_total", { dataset: cancelled, outcome: "cancelled" })).toBe(1);
      expect(sample(text, "tidemark_runs_total", { dataset: cancelled, outcome: "published" })).toBeUndefined();
    } finally {
      release();
      await worker.stop();
    }
  });

  it("answers on the Temporal SDK's own metrics endpoint", async () => {
    expect(observability.sdkMetricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await scrape(observability.sdkMetricsUrl!);
    expect(text).toMatch(/^temporal_/m);
  });

  it("answers 404 outside /metrics", async () => {
    const res = await fetch(observability.metricsUrl!.replace(/\/metrics$/, "/other"));
    expect(res.status).toBe(404);
  });
});
