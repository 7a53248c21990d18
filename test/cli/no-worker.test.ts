import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Client } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsObjectStore } from "../../src/store/fs";
import { services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue } from "../support/temporal";
import { eventually, runBuiltCli, runCli, startCli, tempStore, writeDefinition, type CliRun } from "./helpers";

const DS = `lonely_${Date.now().toString(36)}`;
const work = tempStore("no-worker");
const datasets = join(work.dir, "datasets");
const storeDir = join(work.dir, "store");
const store = new FsObjectStore(storeDir);
const lonely = uniqueTaskQueue("no-worker");
let client: Client;
let env: Record<string, string>;

beforeAll(async () => {
  mkdirSync(datasets);
  mkdirSync(storeDir);
  const source = join(work.dir, "source.csv");
  writeFileSync(source, "series_id,obs_date,value\nA,2025-01-01,1\nA,2025-02-01,2\nB,2025-01-01,3\n");
  writeDefinition(datasets, DS, pathToFileURL(source).href);
  client = await testClient();
  const { temporal } = services();
  env = { TIDEMARK_STORE: pathToFileURL(storeDir).href, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: lonely };
});

afterAll(async () => {
  await client?.connection.close();
  work.cleanup();
});

function notice(queue: string): string {
  const { temporal } = services();
  return `tidemark: No worker is polling task queue ${queue} on ${temporal.address} (namespace ${temporal.namespace}); the run waits until one does: start "tidemark worker" with the same TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TIDEMARK_TASK_QUEUE.\n`;
}

/**
 * Runs `tidemark <args>` on a task queue no worker ever polled (the server remembers recent pollers)
 * until it prints the no-worker notice, then starts a worker there and waits for the command.
 */
async function waitsForWorker(args: string[]): Promise<{ run: CliRun; before: string; notice: string }> {
  const queue = uniqueTaskQueue("no-worker-late");
  const cli = startCli(args, { ...env, TIDEMARK_TASK_QUEUE: queue });
  await eventually(async () => (cli.stderr().includes("No worker") ? true : undefined), 60_000, `the no-worker notice of ${args.join(" ")}`);
  const before = cli.stderr();
  const worker = await startTestWorker({ store, datasetsDir: datasets, taskQueue: queue, client });
  try {
    return { run: await cli.done, before, notice: notice(queue) };
  } finally {
    await worker.stop();
  }
}

describe("commands whose run no worker picks up", () => {
  it("status reports the waiting run and exits 0, without a stack trace", { timeout: 120_000 }, async () => {
    const started = await runCli(["ingest", DS, "--json"], env);
    expect(started.code, started.stderr).toBe(0);
    const { runId } = JSON.parse(started.stdout) as { runId: string };
    const status = await runBuiltCli(["status", DS], env);
    expect(status.stderr).toBe("");
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`running   tidemark/ingest/${DS} run ${runId} since`);
    expect(status.stdout).toContain("no worker answered the progress query");
    const worker = await startTestWorker({ store, datasetsDir: datasets, taskQueue: lonely, client });
    try {
      expect(await client.workflow.getHandle(`tidemark/ingest/${DS}`, runId).result()).toMatchObject({ status: "published" });
    } finally {
      await worker.stop();
    }
  });

  it("verify and gc say once that no worker polls the task queue, keep waiting, and end when one starts", { timeout: 120_000 }, async () => {
    const verify = await waitsForWorker(["verify", DS]);
    expect(verify.before).toBe(verify.notice);
    expect(verify.run.code, verify.run.stderr).toBe(0);
    expect(verify.run.stderr).toBe(verify.notice);
    expect(verify.run.stdout).toMatch(new RegExp(`^${DS} \\S+: clean\n$`));
    const gc = await waitsForWorker(["gc", DS, "--dry-run", "--json"]);
    expect(gc.before).toBe(gc.notice);
    expect(gc.run.code, gc.run.stderr).toBe(0);
    expect(gc.run.stderr).toBe(gc.notice);
    expect(JSON.parse(gc.run.stdout)).toMatchObject({ dataset: DS, dryRun: true, deleted: 0 });
  });

  it("optimize --wait says so too", { timeout: 120_000 }, async () => {
    const optimize = await waitsForWorker(["optimize", DS, "--wait"]);
    expect(optimize.before).toBe(optimize.notice);
    expect(optimize.run.code, optimize.run.stderr).toBe(0);
    expect(optimize.run.stderr).toBe(optimize.notice);
    expect(optimize.run.stdout).toBe(`${DS}: no month has more parts than allowed; nothing published\n`);
  });
});

describe("status after an optimize run", () => {
  it("describes the optimize run by its own result, not as a failed ingest", { timeout: 120_000 }, async () => {
    const worker = await startTestWorker({ store, datasetsDir: datasets, taskQueue: lonely, client });
    try {
      const optimize = await runCli(["optimize", DS, "--all", "--wait", "--json"], env);
      expect(optimize.code, optimize.stderr).toBe(0);
      const done = JSON.parse(optimize.stdout) as { status: string; url: string };
      expect(done.status).toBe("nothing");
      const status = await runCli(["status", DS, "--json"], env);
      expect(status.code, status.stderr).toBe(0);
      const latest = (JSON.parse(status.stdout) as { runs: { status: string; outcome: string; url: string }[] }).runs[0];
      expect(latest).toEqual(expect.objectContaining({ url: done.url, status: "COMPLETED", outcome: "optimize: no month had more parts than allowed; nothing published" }));
    } finally {
      await worker.stop();
    }
  });
});
