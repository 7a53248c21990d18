import type { Client } from "@temporalio/client";
import { msToTs } from "@temporalio/common/lib/time";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { services } from "../support/services";
import { testClient, uniqueTaskQueue } from "../support/temporal";
import { eventually, runBuiltCli, startCli, tempStore, writeDefinition } from "./helpers";

const work = tempStore("worker");
let client: Client | undefined;
afterAll(async () => {
  await client?.connection.close();
  work.cleanup();
});

describe("tidemark worker", () => {
  it("exits 1 with one sentence when nothing listens at TEMPORAL_ADDRESS, instead of staying up", async () => {
    const { createServer } = await import("node:net");
    const probe = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => probe.once("listening", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const run = await runBuiltCli(["worker"], { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TIDEMARK_STORE: pathToFileURL(work.dir).href });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`tidemark: Temporal is not reachable at 127.0.0.1:${port} (connection refused: nothing listens at 127.0.0.1:${port}); start it with "tidemark dev" or set TEMPORAL_ADDRESS.\n`);
  });

  it("exits 1 naming the variable when a worker setting is unusable, instead of failing every run on it", { timeout: 120_000 }, async () => {
    const { temporal } = services();
    const env = { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: uniqueTaskQueue("worker-bad"), TIDEMARK_STORE: pathToFileURL(work.dir).href };
    const rows = await runBuiltCli(["worker"], { ...env, TIDEMARK_MAX_ROWS: "abc" });
    expect(rows.code).toBe(1);
    expect(rows.stderr).toMatch(/^tidemark: TIDEMARK_MAX_ROWS .*"abc".*\n$/);
    const memory = await runBuiltCli(["worker"], { ...env, TIDEMARK_ENGINE_MEMORY: "lots" });
    expect(memory.code).toBe(1);
    expect(memory.stderr).toBe('tidemark: TIDEMARK_ENGINE_MEMORY="lots" is not a size; set it like "1GB" or "512MiB".\n');
  });

  it("logs one line, runs ingests for its task queue and stops cleanly on SIGTERM", { timeout: 120_000 }, async () => {
    const { temporal } = services();
    const taskQueue = uniqueTaskQueue("worker-cmd");
    const datasets = join(work.dir, "datasets");
    const storeDir = join(work.dir, "store");
    mkdirSync(datasets);
    mkdirSync(storeDir);
    const source = join(work.dir, "s.csv");
    writeFileSync(source, "series_id,obs_date,value\nA,2025-01-01,1\n");
    writeDefinition(datasets, "by_worker", pathToFileURL(source).href);
    const cli = startCli(["worker"], {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TIDEMARK_TASK_QUEUE: taskQueue,
      TIDEMARK_STORE: pathToFileURL(storeDir).href,
      TIDEMARK_DATASETS: datasets,
      AWS_SECRET_ACCESS_KEY: "must-not-be-logged",
    });
    const line = await eventually(async () => (cli.stdout().includes("worker polling") ? cli.stdout() : undefined), 60_000, "the worker's start line");
    expect(line.trim()).toBe(`worker polling task queue ${taskQueue} on ${temporal.address} namespace ${temporal.namespace}, store ${pathToFileURL(storeDir).href}, definitions ${datasets}`);
    client = await testClient();
    const result = (await client.workflow.execute("ingestDataset", { workflowId: "tidemark/ingest/by_worker", taskQueue, args: [{ dataset: "by_worker" }] })) as IngestResult;
    expect(result).toMatchObject({ status: "published", counts: { inserted: 1 } });
    process.emit("SIGTERM" as never);
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("worker stopped.");
    expect(run.stdout + run.stderr).not.toContain("must-not-be-logged");
  });

  it("refuses to start on a namespace without Tidemark's search attributes, naming them and the command that creates them", { timeout: 120_000 }, async () => {
    const { temporal } = services();
    client ??= await testClient();
    const namespace = `tidemark-nosa-${Date.now().toString(36)}`;
    await client.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs("1 day") });
    const listed = await eventually(async () => client!.connection.operatorService.listSearchAttributes({ namespace }).catch(() => undefined), 30_000, "the new namespace");
    expect(Object.keys(listed.customAttributes ?? {})).not.toContain("TidemarkDataset");
    const cli = startCli(["worker"], {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      TIDEMARK_TASK_QUEUE: uniqueTaskQueue("worker-nosa"),
      TIDEMARK_STORE: pathToFileURL(join(work.dir, "nosa-store")).href,
      TIDEMARK_DATASETS: work.dir,
    });
    const run = await cli.done;
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain("worker polling");
    expect(run.stderr.trim()).toBe(
      `tidemark: Namespace ${namespace} at ${temporal.address} lacks the Keyword search attributes TidemarkDataset, TidemarkVersion, TidemarkPaymentStatus that Tidemark's workflows set (without them every run hangs); create them with "${["TidemarkDataset", "TidemarkVersion", "TidemarkPaymentStatus"].map((n) => `temporal operator search-attribute create --namespace ${namespace} --name ${n} --type Keyword`).join(" && ")}" (tidemark dev and docker-compose.yml do), then start the worker again.`,
    );
  });

  it("says on its start line that the definitions directory is missing", { timeout: 120_000 }, async () => {
    const { temporal } = services();
    const missing = join(work.dir, "no-such-datasets");
    const storeUrl = pathToFileURL(join(work.dir, "missing-defs-store")).href;
    const taskQueue = uniqueTaskQueue("worker-nodefs");
    const cli = startCli(["worker"], { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: taskQueue, TIDEMARK_STORE: storeUrl, TIDEMARK_DATASETS: missing });
    const line = await eventually(async () => (cli.stdout().includes("worker polling") ? cli.stdout() : undefined), 60_000, "the worker's start line");
    process.emit("SIGTERM" as never);
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(0);
    expect(line.trim()).toBe(
      `worker polling task queue ${taskQueue} on ${temporal.address} namespace ${temporal.namespace}, store ${storeUrl}, definitions ${missing} (missing: runs by dataset id fail until TIDEMARK_DATASETS names a directory of definitions; a definition file passed to ingest still works)`,
    );
  });
});
