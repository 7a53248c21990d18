import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { freePort, waitFor } from "../../src/devstack/ports";
import { services } from "../support/services";
import { uniqueTaskQueue } from "../support/temporal";
import { monthlySeries, workspace } from "../workflows/ingest-fixtures";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "bin", "tidemark.js");
const run = promisify(execFile);

/**
 * docker-compose.yml's topology without Docker: a Temporal server, MinIO, a `tidemark worker` process
 * and `tidemark` CLI processes, all separate and talking over loopback through the same environment
 * variables the compose file sets.
 */
describe("the compose topology as separate processes over loopback", () => {
  const dataset = `procs_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "snapshot");
  const home = mkdtempSync(join(tmpdir(), "tidemark-procs-"));
  let worker: ChildProcess | undefined;
  let workerOut = "";

  afterAll(async () => {
    if (worker && worker.exitCode === null) worker.kill("SIGKILL");
    rmSync(home, { recursive: true, force: true });
    rmSync(ws.dir, { recursive: true, force: true });
  });

  it("a worker process publishes what an ingest process starts, into MinIO, and counts it on its metrics endpoint", { timeout: 180_000 }, async () => {
    if (!existsSync(join(ROOT, "dist", "src", "cli", "main.js"))) throw new Error('dist/ is missing: run "npm run build" (npm test does) before this test.');
    const { temporal, s3 } = services();
    const [metricsPort, sdkMetricsPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TIDEMARK_TASK_QUEUE: uniqueTaskQueue("procs"),
      TIDEMARK_STORE: `s3://${s3.bucket}/${dataset}-store/`,
      TIDEMARK_DATASETS: ws.datasetsDir,
      TIDEMARK_SOURCE_ALLOW: process.env.TIDEMARK_SOURCE_ALLOW,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: s3.region,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      TIDEMARK_METRICS_PORT: String(metricsPort),
      TIDEMARK_SDK_METRICS_PORT: String(sdkMetricsPort),
    };
    const rows = monthlySeries(["A", "B"], "2025-01", 3, (s, m) => m * 10 + s.charCodeAt(0));
    ws.writeSource(rows);

    worker = spawn(process.execPath, [BIN, "worker"], { cwd: home, env, stdio: ["ignore", "pipe", "pipe"] });
    worker.stdout!.on("data", (chunk: Buffer) => (workerOut += chunk.toString()));
    worker.stderr!.on("data", (chunk: Buffer) => (workerOut += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker!.once("exit", (code) => resolve(code)));
    const died = () => (worker!.exitCode !== null ? `the worker exited with ${worker!.exitCode}:\n${workerOut}` : undefined);
    await waitFor(async () => workerOut.includes("worker polling"), { timeoutMs: 90_000, describe: "the worker process's start line", abort: died });

    const ingest = await run(process.execPath, [BIN, "ingest", dataset, "--wait", "--json"], { cwd: home, env });
    const result = JSON.parse(ingest.stdout) as IngestResult & { url: string };
    expect(result).toMatchObject({ dataset, status: "published", counts: { inserted: rows.length, updated: 0, deleted: 0, rowsTotal: rows.length } });

    const read = await run(process.execPath, [BIN, "read", dataset, "--format", "csv"], { cwd: home, env });
    const lines = read.stdout.trim().split("\n");
    expect(lines[0]).toBe("series_id,obs_date,value");
    expect(lines.slice(1).sort()).toEqual(rows.map((r) => `${r.series_id},${r.obs_date},${r.value}`).sort());

    const status = await run(process.execPath, [BIN, "status", dataset, "--json"], { cwd: home, env });
    expect(JSON.parse(status.stdout)).toMatchObject({ dataset, store: env.TIDEMARK_STORE, current: { version: result.version, rowsTotal: rows.length } });

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain(`tidemark_runs_total{dataset="${dataset}",outcome="published"} 1`);

    worker.kill("SIGTERM");
    expect(await exited, workerOut).toBe(0);
    expect(workerOut).not.toContain(s3.secretAccessKey);
  });
});
