import type { Client } from "@temporalio/client";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";

const YAML = (id: string, uri: string, granularity: string) =>
  [
    `id: ${id}`,
    `source: { uri: "${uri}", format: csv }`,
    "on_bad_rows: quarantine",
    "schema:",
    "  columns:",
    "    - { name: series_id, type: string }",
    "    - { name: obs_date, type: date }",
    "    - { name: value, type: double }",
    "  key: [series_id, obs_date]",
    `  partition_by: { column: obs_date, granularity: ${granularity} }`,
    "",
  ].join("\n");

/** Rows before 1000-01-01 once landed under a misleading partition (year 50, month 3 → `year=5003`). */
const CSV = "series_id,obs_date,value\nA,2025-03-01,1.5\nB,0050-03-01,2.5\nC,0999-12-31,3.5\nD,1000-01-01,4.5\n";

describe("partition dates outside the years 1000–9999 through the ingest workflow", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-prange-"));
  const datasetsDir = join(dir, "datasets");
  const source = join(dir, "s.csv");
  const store = new FsObjectStore(mkdtempSync(join(tmpdir(), "tidemark-prange-store-")));
  const taskQueue = uniqueTaskQueue("prange");
  let client: Client;
  let worker: RunningWorker;

  beforeAll(async () => {
    mkdirSync(datasetsDir);
    writeFileSync(source, CSV);
    for (const g of ["year", "month", "day"]) writeFileSync(join(datasetsDir, `prange_${g}.yaml`), YAML(`prange_${g}`, pathToFileURL(source).href, g));
    client = await testClient();
    worker = await startTestWorker({ store, datasetsDir, taskQueue, client });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });

  it.each([
    ["year", ["1000", "2025"], ["year=1000", "year=2025"]],
    ["month", ["1000-01", "2025-03"], ["year=1000/month=01", "year=2025/month=03"]],
    ["day", ["1000-01-01", "2025-03-01"], ["year=1000/month=01/day=01", "year=2025/month=03/day=01"]],
  ])("by %s: quarantines them and writes only the partitions of the good rows", async (granularity, labels, dirs) => {
    const dataset = `prange_${granularity}`;
    const result = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] })) as IngestResult;
    expect(result).toMatchObject({ status: "published", counts: { inserted: 2, rowsTotal: 2 }, quarantined: { rows: 2 } });
    expect(result.months).toEqual(labels);
    const report = (await store.get(result.quarantined!.report)).body.toString().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(report.map((r) => [r.row, r.column, r.value, r.reason])).toEqual([
      [3, "obs_date", "0050-03-01", "a date outside the partition years 1000–9999"],
      [4, "obs_date", "0999-12-31", "a date outside the partition years 1000–9999"],
    ]);
    const keys: string[] = [];
    for await (const o of store.list(`datasets/${dataset}/projections/latest/`)) keys.push(o.key.slice(`datasets/${dataset}/projections/latest/`.length));
    expect(keys.sort()).toEqual(dirs.map((d) => `${d}/${result.version}.parquet`));
  });
});
