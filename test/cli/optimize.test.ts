import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { optimizeScheduleId } from "../../src/manifest/optimize";
import { openDuck, rows as duckRows } from "../support/duck";
import { FIRST_SOURCE, startCliBed, type CliBed } from "./bed";
import { runCli, writeDefinition } from "./helpers";

/**
 * `tidemark files`, `read` and `optimize` on a dataset whose month 2025-01 holds three part files
 * (made by two appends through `tidemark ingest`); expectations come from the rows the test wrote.
 */
const DS = `opt_${Date.now().toString(36)}`;
let bed: CliBed;
let env: Record<string, string>;

const MONTH_ROWS = ["A,2025-01-01,1", "B,2025-01-01,3", "C,2025-01-01,4", "D,2025-01-01,5"];

beforeAll(async () => {
  bed = await startCliBed("optimize", DS);
  env = bed.env;
  let source = FIRST_SOURCE;
  for (const line of ["D,2025-01-01,5\n", "C,2025-01-01,4\n"]) {
    source += line;
    writeFileSync(bed.source, source);
    const run = await runCli(["ingest", DS, "--wait", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).counts).toMatchObject({ inserted: 1, updated: 0, deleted: 0 });
  }
});
afterAll(async () => {
  await bed?.stop();
});

async function monthFiles(): Promise<{ path: string; uri: string }[]> {
  const run = await runCli(["files", DS, "--month", "2025-01", "--json"], env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout).files;
}

async function readMonthCsv(): Promise<string[]> {
  const run = await runCli(["read", DS, "--month", "2025-01", "--format", "csv"], env);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim().split("\n");
}

describe("readers of a month of several parts", () => {
  it("files lists every part, and its DuckDB command reads the month's rows once each", async () => {
    const files = await monthFiles();
    expect(files).toHaveLength(3);
    expect(files[1].path).toMatch(/-p00001\.parquet$/);
    expect(files[2].path).toMatch(/-p00002\.parquet$/);
    for (const f of files) expect(existsSync(f.uri)).toBe(true);
    const json = JSON.parse((await runCli(["files", DS, "--month", "2025-01", "--json"], env)).stdout);
    const duck = await openDuck();
    try {
      const sql = /duckdb -c "(.*)"$/.exec(json.duckdb)![1];
      const got = await duckRows(duck.conn, `SELECT series_id || ',' || strftime(obs_date, '%Y-%m-%d') || ',' || value::INTEGER AS line FROM (${sql}) ORDER BY 1`);
      expect(got.map((r) => r.line)).toEqual(MONTH_ROWS);
    } finally {
      duck.close();
    }
  });

  it("status counts the month's files", async () => {
    const run = await runCli(["status", DS, "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).current).toMatchObject({ months: 2, files: 4 });
  });

  it("read merges the parts in key order", async () => {
    expect(await readMonthCsv()).toEqual(["series_id,obs_date,value", ...MONTH_ROWS]);
  });
});

describe("tidemark optimize", () => {
  it("refuses --all with --max-parts as a usage error", async () => {
    const run = await runCli(["optimize", DS, "--all", "--max-parts", "2"], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("drop --max-parts or --all");
  });

  it("publishes nothing when no month has more parts than the definition's max_parts (default 16)", async () => {
    const run = await runCli(["optimize", DS, "--wait"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(`${DS}: no month has more parts than allowed; nothing published`);
    expect(await monthFiles()).toHaveLength(3);
  });

  it("merges a month above --max-parts into one file as a new version; read, files and verify agree", async () => {
    const run = await runCli(["optimize", DS, "--max-parts", "2", "--wait", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ dataset: DS, status: "published", merged: ["latest/2025-01"], partsBefore: 3 });
    const files = await monthFiles();
    expect(files.map((f) => f.path)).toEqual([`projections/latest/year=2025/month=01/${result.version}.parquet`]);
    expect(await readMonthCsv()).toEqual(["series_id,obs_date,value", ...MONTH_ROWS]);
    const verify = await runCli(["verify", DS], env);
    expect(verify.code, verify.stdout).toBe(0);
  });

  it("says a dataset that was never published has nothing to optimize", async () => {
    const never = `${DS}_never`;
    writeDefinition(join(dirname(bed.source), "datasets"), never, pathToFileURL(bed.source).href);
    const run = await runCli(["optimize", never, "--wait"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${never}: has no published version, so there is nothing to optimize; ingest it first with "tidemark ingest ${never}"\n`);
  });

  it("--every creates a Schedule that starts optimizeDataset", async () => {
    const run = await runCli(["optimize", DS, "--every", "1d", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ dataset: DS, scheduleId: optimizeScheduleId(DS) });
    const handle = bed.client.schedule.getHandle(optimizeScheduleId(DS));
    try {
      const desc = await handle.describe();
      expect(desc.action).toMatchObject({ type: "startWorkflow", workflowType: "optimizeDataset", args: [{ dataset: DS }] });
      const again = await runCli(["optimize", DS, "--every", "1d"], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`already has schedule ${optimizeScheduleId(DS)}`);
    } finally {
      await handle.delete();
    }
  });
});
