import type { Client } from "@temporalio/client";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASET_KEY } from "../../src/cli/runs";
import { FsObjectStore } from "../../src/store/fs";
import { services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { eventually, runCli, tempStore, writeDefinition } from "./helpers";

const DS = `sched_${Date.now().toString(36)}`;
const SCHEDULE_ID = `tidemark/schedule/${DS}`;
const work = tempStore("schedule");
const taskQueue = uniqueTaskQueue("schedule");
let client: Client;
let worker: RunningWorker;
let env: Record<string, string>;

beforeAll(async () => {
  const datasets = join(work.dir, "datasets");
  mkdirSync(datasets);
  const source = join(work.dir, "source.csv");
  writeFileSync(source, "series_id,obs_date,value\nA,2025-01-01,1\nA,2025-02-01,2\nB,2025-01-01,3\n");
  writeDefinition(datasets, DS, pathToFileURL(source).href);
  client = await testClient();
  const storeDir = join(work.dir, "store");
  mkdirSync(storeDir);
  worker = await startTestWorker({ store: new FsObjectStore(storeDir), datasetsDir: datasets, taskQueue, client });
  const { temporal } = services();
  env = { TIDEMARK_STORE: pathToFileURL(storeDir).href, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: taskQueue };
});

afterAll(async () => {
  await client.schedule.getHandle(SCHEDULE_ID).delete().catch(() => {});
  await worker?.stop();
  await client?.connection.close();
  work.cleanup();
});

describe("schedule", () => {
  it("creates a Temporal Schedule that starts ingestDataset on the configured task queue", async () => {
    const run = await runCli(["schedule", "create", DS, "--every", "1h", "--catchup-window", "5m", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ dataset: DS, scheduleId: SCHEDULE_ID, spec: "every 1h", paused: false });
    const desc = await client.schedule.getHandle(SCHEDULE_ID).describe();
    expect(desc.action).toMatchObject({ type: "startWorkflow", workflowType: "ingestDataset", workflowId: `tidemark/ingest/${DS}`, taskQueue, args: [{ dataset: DS }] });
    const attrs = desc.action.typedSearchAttributes;
    expect(attrs && !Array.isArray(attrs) ? attrs.get(DATASET_KEY) : undefined).toBe(DS);
    expect(desc.policies).toMatchObject({ overlap: "SKIP", catchupWindow: 300_000 });
    const listed: string[] = [];
    for await (const s of client.schedule.list()) listed.push(s.scheduleId);
    expect(listed).toContain(SCHEDULE_ID);
  });

  it("is visible to the temporal CLI", () => {
    const { temporal } = services();
    const out = execFileSync(temporal.binary, ["schedule", "list", "--address", temporal.address, "--namespace", temporal.namespace, "-o", "json"], { encoding: "utf8" });
    const ids = JSON.parse(out).map((s: { scheduleId: string }) => s.scheduleId);
    expect(ids).toContain(SCHEDULE_ID);
  });

  it("refuses a second schedule for the same dataset", async () => {
    const run = await runCli(["schedule", "create", DS, "--cron", "0 6 * * *"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`tidemark schedule delete ${DS}`);
    const kept = await runCli(["schedule", "create", DS, "--cron", "0 6 * * *", "--if-missing"], env);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain(`schedule ${SCHEDULE_ID} exists already (every 1h); left as it is`);
  });

  it("a triggered schedule runs a real ingest that status reports as scheduled", async () => {
    await client.schedule.getHandle(SCHEDULE_ID).trigger();
    const status = await eventually(async () => {
      const run = await runCli(["status", DS, "--json"], env);
      const s = run.code === 0 ? JSON.parse(run.stdout) : undefined;
      return s?.current && s.runs.some((r: { status: string }) => r.status === "COMPLETED") ? s : undefined;
    }, 45_000, "a published version from the scheduled run");
    expect(status.current).toMatchObject({ rowsTotal: 3, inserted: 3 });
    const published = status.runs.find((r: { workflowId: string }) => r.workflowId === `tidemark/ingest/${DS}`);
    expect(published).toMatchObject({ status: "COMPLETED", trigger: "schedule", version: status.current.version });
    expect(published.outcome).toContain("published");
    expect(status.schedule).toMatchObject({ spec: "every 1h", paused: false });
    expect(status.schedule.lastRun).not.toBeNull();
    const text = await runCli(["status", DS], env);
    expect(text.stdout).toContain("schedule  every 1h, next run ");
  });

  it("pauses, lists, unpauses and deletes", async () => {
    expect((await runCli(["schedule", "pause", DS], env)).code).toBe(0);
    expect((await client.schedule.getHandle(SCHEDULE_ID).describe()).state.paused).toBe(true);
    const list = await runCli(["schedule", "list", "--json"], env);
    expect(JSON.parse(list.stdout).find((v: { dataset: string }) => v.dataset === DS)).toMatchObject({ paused: true, spec: "every 1h" });
    const text = await runCli(["schedule", "list"], env);
    expect(text.stdout).toMatch(new RegExp(`${DS}\\s+every 1h\\s+paused`));
    expect((await runCli(["schedule", "unpause", DS], env)).code).toBe(0);
    expect((await client.schedule.getHandle(SCHEDULE_ID).describe()).state.paused).toBe(false);
    const deleted = await runCli(["schedule", "delete", DS], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain(`deleted schedule ${SCHEDULE_ID}`);
    await expect(client.schedule.getHandle(SCHEDULE_ID).describe()).rejects.toThrow();
    const again = await runCli(["schedule", "delete", DS], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`has no schedule; create one with "tidemark schedule create ${DS}`);
  });

  it("creates a paused cron schedule", async () => {
    const run = await runCli(["schedule", "create", DS, "--cron", "0 6 * * *", "--timezone", "Europe/Madrid", "--paused"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('cron "0 6 * * *" Europe/Madrid, paused');
    const desc = await client.schedule.getHandle(SCHEDULE_ID).describe();
    expect(desc.state.paused).toBe(true);
    expect(desc.spec.timezone).toBe("Europe/Madrid");
    expect((await runCli(["schedule", "delete", DS], env)).code).toBe(0);
  });

  it("refuses a cron spec, time zone or interval Temporal rejects as a usage error, creating nothing", async () => {
    const cases: [args: string[], scheduleId: string, message: string][] = [
      [["schedule", "create", DS, "--cron", "bogus"], SCHEDULE_ID, '--cron "bogus" is not a cron spec Temporal accepts (CronString does not have 5-7 fields); give five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * *".'],
      [["schedule", "create", DS, "--cron", "99 6 * * *"], SCHEDULE_ID, '--cron "99 6 * * *" is not a cron spec Temporal accepts (Minute is not in range [0-59]); give five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * *".'],
      [["schedule", "create", DS, "--cron", "0 6 * * *", "--timezone", "Mars/Base"], SCHEDULE_ID, '--timezone "Mars/Base" is not a time zone Temporal knows (unknown time zone Mars/Base); give an IANA name such as "Europe/Madrid" or "UTC".'],
      [["optimize", DS, "--cron", "bogus"], `tidemark/optimize-schedule/${DS}`, '--cron "bogus" is not a cron spec Temporal accepts (CronString does not have 5-7 fields); give five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * *".'],
      [["schedule", "create", DS, "--every", "500ms"], SCHEDULE_ID, '--every "500ms" is not an interval Temporal accepts (interval is too small); give at least 1s, e.g. --every 1h.'],
      [["optimize", DS, "--every", "10ms"], `tidemark/optimize-schedule/${DS}`, '--every "10ms" is not an interval Temporal accepts (interval is too small); give at least 1s, e.g. --every 1h.'],
    ];
    for (const [args, scheduleId, message] of cases) {
      const run = await runCli(args, env);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toBe(`tidemark: ${message}\n`);
      expect(run.stdout).toBe("");
      await expect(client.schedule.getHandle(scheduleId).describe()).rejects.toThrow(/not found/i);
    }
  });
});
