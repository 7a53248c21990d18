import type { S3Client } from "@aws-sdk/client-s3";
import type { Client } from "@temporalio/client";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestWorkflowId } from "../../src/one-writer";
import { S3ObjectStore } from "../../src/store/s3";
import { withDeadline } from "../support/deadline";
import { expectPublishedExactly } from "../support/published";
import { makeS3Client, services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, workspace } from "../workflows/ingest-fixtures";

const CONTENDERS = 20;
const BIN = join(__dirname, "..", "..", "bin", "tidemark.js");

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBin(args: string[], env: Record<string, string>): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Twenty `tidemark ingest` processes started at once on one dataset: exactly one run executes and
 * publishes one version; the other nineteen exit 1 with the busy message naming that run.
 */
describe(`${CONTENDERS} concurrent tidemark ingest processes`, { timeout: 900_000 }, () => {
  const dataset = `race_cli_${Date.now().toString(36)}`;
  const prefix = `races-cli-${Date.now().toString(36)}`;
  const ws = workspace(dataset, "snapshot");
  const taskQueue = uniqueTaskQueue("race-cli");
  let s3: S3Client;
  let client: Client;
  let worker: RunningWorker;
  let reachedCas!: () => void;
  const atCas = new Promise<void>((resolve) => (reachedCas = resolve));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let casReached = 0;

  beforeAll(async () => {
    if (!existsSync(join(__dirname, "..", "..", "dist", "src", "cli", "main.js"))) throw new Error('dist is missing: run "npm run build" first (npm test does).');
    s3 = makeS3Client();
    client = await testClient();
    worker = await startTestWorker({
      store: new S3ObjectStore({ client: s3, bucket: services().s3.bucket, prefix }),
      datasetsDir: ws.datasetsDir,
      taskQueue,
      client,
      faults: async (point) => {
        if (point !== "publish:before-cas") return;
        casReached++;
        reachedCas();
        await gate;
      },
    });
  });
  afterAll(async () => {
    release();
    await worker?.stop();
    await client?.connection.close();
    s3?.destroy();
  });

  it("runs exactly one and refuses the other nineteen, naming the holder", async () => {
    const rows = monthlySeries(["A", "B", "C", "D"], "2024-01", 12, (s, m) => m * 10 + s.charCodeAt(0));
    ws.writeSource(rows);
    const { temporal } = services();
    const env = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TIDEMARK_TASK_QUEUE: taskQueue,
      TIDEMARK_STORE: `s3://${services().s3.bucket}/${prefix}`,
      TIDEMARK_DATASETS: ws.datasetsDir,
    };
    const started = Date.now();
    const exited: Exited[] = [];
    const runs = Array.from({ length: CONTENDERS }, () => runBin(["ingest", dataset, "--wait", "--json"], env).then((r) => (exited.push(r), r)));
    await withDeadline(atCas, 400_000, "the winning run reaching its CAS").catch((err: Error) => {
      throw new Error(`${err.message}; exited so far: ${JSON.stringify(exited.slice(0, 3))}`);
    });
    await withDeadline(
      (async () => {
        while (exited.length < CONTENDERS - 1) await new Promise((r) => setTimeout(r, 100));
      })(),
      400_000,
      `${CONTENDERS - 1} refused ingests exiting`,
    );
    const elapsedRefusals = Date.now() - started;
    const refused = exited.slice();
    release();
    const all = await Promise.all(runs);
    const done = all.filter((r) => !refused.includes(r));

    expect(done).toHaveLength(1);
    expect(done[0].code, done[0].stderr).toBe(0);
    const result = JSON.parse(done[0].stdout);
    expect(result).toMatchObject({ status: "published", workflowId: ingestWorkflowId(dataset), parentVersion: null, counts: { inserted: rows.length, rowsTotal: rows.length } });
    expect(refused).toHaveLength(CONTENDERS - 1);
    const expected = `Dataset ${dataset} is being ingested by workflow tidemark/ingest/${dataset} run ${result.runId}; wait for it with "tidemark status ${dataset}" or cancel it with "tidemark cancel ${dataset}".`;
    for (const r of refused) {
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`tidemark: ${expected}`);
    }
    expect(casReached).toBe(1);

    const executions: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${ingestWorkflowId(dataset)}'` })) executions.push(w.runId);
    expect(executions).toEqual([result.runId]);
    const store = new S3ObjectStore({ client: s3, bucket: services().s3.bucket, prefix });
    await expectPublishedExactly(store, dataset, result, [], new Map(), new Map(rows.map((r) => [keyOf(r), r])));
    console.log(`[races] ${CONTENDERS} CLI ingests: 1 published ${result.version}, ${refused.length} refused in ${elapsedRefusals} ms with: ${expected}`);
  });
});
