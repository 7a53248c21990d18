import type { Client } from "@temporalio/client";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsObjectStore } from "../../src/store/fs";
import { services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { rootFailure } from "../../src/cli/failure";
import { eventually, runCli, startCli, tempStore, writeDefinition } from "./helpers";

const suffix = Date.now().toString(36);
const DS = `flow_${suffix}`;
const SLOW = `slow_${suffix}`;
const work = tempStore("flow");
const taskQueue = uniqueTaskQueue("flow");
const sourcePath = join(work.dir, "source.csv");
let store: FsObjectStore;
let client: Client;
let worker: RunningWorker;
let env: Record<string, string>;
let slowServer: Server;
const stalled: { res: ServerResponse; socket: Socket }[] = [];

beforeAll(async () => {
  const datasets = join(work.dir, "datasets");
  const storeDir = join(work.dir, "store");
  mkdirSync(datasets);
  mkdirSync(storeDir);
  writeFileSync(sourcePath, "series_id,obs_date,value\nA,2025-01-01,1\nA,2025-02-01,2\nB,2025-01-01,3\n");
  writeDefinition(datasets, DS, pathToFileURL(sourcePath).href);
  slowServer = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/csv" });
    res.write("series_id,obs_date,value\nA,2025-01-01,1\n");
    stalled.push({ res, socket: req.socket });
  });
  await new Promise<void>((resolve) => slowServer.listen(0, "127.0.0.1", resolve));
  const port = (slowServer.address() as { port: number }).port;
  writeDefinition(datasets, SLOW, `http://127.0.0.1:${port}/rates.csv`);
  store = new FsObjectStore(storeDir);
  client = await testClient();
  worker = await startTestWorker({ store, datasetsDir: datasets, taskQueue, client });
  const { temporal } = services();
  env = { TIDEMARK_STORE: pathToFileURL(storeDir).href, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: taskQueue };
});

afterAll(async () => {
  for (const s of stalled) s.socket.destroy();
  await new Promise((resolve) => slowServer?.close(resolve));
  await worker?.stop();
  await client?.connection.close();
  work.cleanup();
});

describe("after real ingests", () => {
  it("status, versions and read show what the workflow published", async () => {
    const first = await runCli(["ingest", DS, "--wait", "--json"], env);
    expect(first.code, first.stderr).toBe(0);
    const v1 = JSON.parse(first.stdout);
    expect(v1).toMatchObject({ status: "published", counts: { inserted: 3, rowsTotal: 3 } });
    writeFileSync(sourcePath, "series_id,obs_date,value\nA,2025-01-01,1.5\nA,2025-02-01,2\nA,2025-03-01,4\n");
    const v2 = JSON.parse((await runCli(["ingest", DS, "--wait", "--json"], env)).stdout);
    expect(v2).toMatchObject({ status: "published", parentVersion: v1.version, counts: { inserted: 1, updated: 1, deleted: 1, rowsTotal: 3 } });

    const status = JSON.parse((await runCli(["status", DS, "--json"], env)).stdout);
    expect(status.current).toMatchObject({ version: v2.version, parentVersion: v1.version, rowsTotal: 3, inserted: 1, updated: 1, deleted: 1, months: 3 });
    expect(status.runs.map((r: { version: string }) => r.version)).toEqual([v2.version, v1.version]);
    expect(status.runs[0]).toMatchObject({ status: "COMPLETED", trigger: "direct", outcome: "published (+1 ~1 -1, 3 rows)", runId: v2.runId });
    expect(status.runs[0].url).toContain(encodeURIComponent(`tidemark/ingest/${DS}`));
    const text = await runCli(["status", DS], env);
    expect(text.stdout).toMatch(/recent runs\n\s+STARTED\s+STATUS\s+VIA\s+VERSION\s+OUTCOME\n/);

    const versions = JSON.parse((await runCli(["versions", DS, "--json"], env)).stdout);
    expect(versions.map((v: { version: string }) => v.version)).toEqual([v2.version, v1.version]);

    const csv = await runCli(["read", DS], env);
    expect(csv.stdout).toBe("series_id,obs_date,value\nA,2025-01-01,1.5\nA,2025-02-01,2\nA,2025-03-01,4\n");
    const old = await runCli(["read", DS, "--version", v1.version, "--format", "json"], env);
    expect(old.stdout.trim().split("\n").map((l) => JSON.parse(l))).toEqual([
      { series_id: "A", obs_date: "2025-01-01", value: 1 },
      { series_id: "B", obs_date: "2025-01-01", value: 3 },
      { series_id: "A", obs_date: "2025-02-01", value: 2 },
    ]);
  });
});

describe("cancel", () => {
  it("exits 1 when nothing is running", async () => {
    const run = await runCli(["cancel", DS], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`No ingest of ${DS} is running, so there is nothing to cancel`);
  });

  it("cancels a running ingest; its compensations run and nothing is published", async () => {
    const started = await runCli(["ingest", SLOW, "--json"], env);
    expect(started.code, started.stderr).toBe(0);
    const { runId } = JSON.parse(started.stdout);
    const running = await eventually(async () => {
      const s = JSON.parse((await runCli(["status", SLOW, "--json"], env)).stdout);
      return s.running?.step === "prepare" ? s.running : undefined;
    }, 30_000, "the slow ingest reaching prepare");
    expect(running.runId).toBe(runId);
    const busy = await runCli(["ingest", SLOW], env);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`tidemark cancel ${SLOW}`);

    const created = await runCli(["schedule", "create", SLOW, "--every", "1h"], env);
    expect(created.code, created.stderr).toBe(0);
    const schedule = client.schedule.getHandle(`tidemark/schedule/${SLOW}`);
    try {
      await schedule.trigger();
      const action = await eventually(async () => (await schedule.describe()).info.recentActions[0]?.action, 30_000, "the schedule firing");
      const refused = await client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId).result().catch((e: unknown) => e);
      expect(rootFailure(refused)).toMatchObject({ type: "DatasetBusyError" });
      expect(rootFailure(refused).message).toContain(`run ${runId}`);
    } finally {
      await schedule.delete();
    }

    const run = await runCli(["cancel", SLOW], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^cancelled tidemark/ingest/${SLOW} run ${runId}; compensations ran: delete index of \\S+; delete run scratch of \\S+; nothing was published; nothing it wrote is left\\.\n$`));
    for (const s of stalled) s.socket.destroy();
    const left: string[] = [];
    for await (const o of store.list(`datasets/${SLOW}/`)) left.push(o.key);
    expect(left).toEqual([]);
    const desc = await client.workflow.getHandle(`tidemark/ingest/${SLOW}`, runId).describe();
    expect(desc.status.name).toBe("CANCELLED");
    const status = JSON.parse((await runCli(["status", SLOW, "--json"], env)).stdout);
    expect(status).toMatchObject({ current: null, running: null });
    expect(status.runs[0]).toMatchObject({ runId, status: "CANCELLED", outcome: "cancelled" });
  });

  it("--wait says once that no worker polls the task queue, keeps waiting, and ends when a worker starts", { timeout: 120_000 }, async () => {
    const lonely = uniqueTaskQueue("flow-no-worker");
    const dataset = `noworker_${suffix}`;
    const datasets = join(work.dir, "datasets");
    writeDefinition(datasets, dataset, pathToFileURL(sourcePath).href);
    const cli = startCli(["ingest", dataset, "--wait", "--json"], { ...env, TIDEMARK_TASK_QUEUE: lonely });
    await eventually(async () => (cli.stderr().includes("No worker") ? true : undefined), 60_000, "the no-worker notice");
    const { temporal } = services();
    const notice = `tidemark: No worker is polling task queue ${lonely} on ${temporal.address} (namespace ${temporal.namespace}); the run waits until one does: start "tidemark worker" with the same TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TIDEMARK_TASK_QUEUE.\n`;
    expect(cli.stderr()).toBe(notice);
    const late = await startTestWorker({ store, datasetsDir: datasets, taskQueue: lonely, client });
    try {
      const run = await cli.done;
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ dataset, status: "published" });
      expect(run.stderr.startsWith(notice), run.stderr).toBe(true);
      expect(run.stderr.split("No worker").length - 1).toBe(1);
    } finally {
      await late.stop();
    }
  });
});
