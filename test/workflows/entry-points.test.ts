import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Client } from "@temporalio/client";
import { WorkflowFailedError } from "@temporalio/client";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { startHttpServer } from "../support/http";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { makeS3Client, services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, toCsv, workspace } from "./ingest-fixtures";
import { rootFailure } from "../../src/cli/failure";

describe("entry points and one writer per dataset", () => {
  const taskQueue = uniqueTaskQueue("entry");
  const dataset = `entry_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "upsert");
  let client: Client;
  let worker: RunningWorker;
  let release: () => void = () => {};
  let gate = Promise.resolve();
  let source: Awaited<ReturnType<typeof startHttpServer>>;
  let hooks: Awaited<ReturnType<typeof startHttpServer>>;

  beforeAll(async () => {
    source = await startHttpServer(async (req, res) => {
      await gate;
      res.setHeader("etag", '"v1"');
      res.end(toCsv(monthlySeries(["X", "Y"], "2025-01", 3, (s, m) => m + (req.url?.includes("v2") ? 10 : 0))));
    });
    hooks = await startHttpServer((_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    writeFileSync(
      join(ws.datasetsDir, `${dataset}.yaml`),
      [
        `id: ${dataset}`,
        `source: { uri: "${source.url}/series-v1.csv", format: csv }`,
        "schema:",
        "  columns: [{ name: series_id, type: string }, { name: obs_date, type: date }, { name: value, type: double }]",
        "  key: [series_id, obs_date]",
        "  partition_by: obs_date",
        `notify: [{ url: "${hooks.url}/hook" }]`,
        "",
      ].join("\n"),
    );
    client = await testClient();
    worker = await startTestWorker({ store: new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-entry-"))), datasetsDir: ws.datasetsDir, taskQueue, client });
  });
  afterAll(async () => {
    release();
    await worker?.stop();
    await client?.connection.close();
    await source?.close();
    await hooks?.close();
  });

  it("ingests from an http source and notifies the webhook with an idempotency key", async () => {
    const result = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] })) as IngestResult;
    expect(result).toMatchObject({ status: "published", counts: { inserted: 6, rowsTotal: 6 } });
    const hook = hooks.received.find((r) => r.url === "/hook");
    expect(hook?.headers["idempotency-key"]).toBe(`${dataset}/${result.version}`);
    expect(JSON.parse(hook!.body)).toMatchObject({ dataset_id: dataset, version: result.version, parent_version: null, counts: { inserted: 6 } });
  });

  it("`temporal workflow start` with JSON input under a random id delegates to the canonical id", async () => {
    const { temporal } = services();
    const id = `adhoc-${Date.now()}`;
    const cli = await promisify(execFile)(
      temporal.binary,
      ["workflow", "execute", "--address", temporal.address, "--type", "ingestDataset", "--task-queue", taskQueue, "--workflow-id", id,
        "--input", JSON.stringify({ dataset, source: `${source.url}/series-v2.csv` }), "-o", "json"],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(JSON.parse(cli.stdout)).toMatchObject({ status: "COMPLETED" });
    const result = (await client.workflow.getHandle(id).result()) as IngestResult;
    expect(result).toMatchObject({ status: "published", workflowId: ingestWorkflowId(dataset), counts: { updated: 6 } });
  });

  it("refuses a second run while one holds the dataset, naming the holder", async () => {
    gate = new Promise<void>((r) => (release = r));
    const first = await client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, source: `${source.url}/series-v3.csv` }] });
    const direct = await client.workflow
      .start("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }], workflowIdConflictPolicy: "FAIL" })
      .catch((e: Error) => e);
    expect((direct as Error).name).toBe("WorkflowExecutionAlreadyStartedError");
    const delegated = await client.workflow
      .execute("ingestDataset", { workflowId: `other-${Date.now()}`, taskQueue, args: [{ dataset }] })
      .catch((e: unknown) => e);
    expect(delegated).toBeInstanceOf(WorkflowFailedError);
    const root = rootFailure(delegated);
    expect(root.type).toBe("DatasetBusyError");
    expect(root.message).toContain(`workflow ${ingestWorkflowId(dataset)} run ${first.firstExecutionRunId}`);
    expect(root.message).toContain(`tidemark cancel ${dataset}`);
    release();
    await expect(first.result()).resolves.toMatchObject({ status: "published" });
  });

  it("ingests from an s3:// source (MinIO)", async () => {
    const s3 = makeS3Client();
    const key = `sources/${dataset}/series.csv`;
    try {
      await s3.send(new PutObjectCommand({ Bucket: services().s3.bucket, Key: key, Body: toCsv(monthlySeries(["X", "Y", "W"], "2025-01", 3, () => 5)) }));
    } finally {
      s3.destroy();
    }
    const result = (await client.workflow.execute("ingestDataset", {
      workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, source: `s3://${services().s3.bucket}/${key}` }],
    })) as IngestResult;
    expect(result).toMatchObject({ status: "published", counts: { inserted: 3, updated: 6, rowsTotal: 9 } });
  });

  it("fails fast with a typed error on an invalid dataset id", async () => {
    const err = await client.workflow.execute("ingestDataset", { workflowId: `bad-${Date.now()}`, taskQueue, args: [{ dataset: "../etc" }] }).catch((e: unknown) => e);
    expect(rootFailure(err)).toMatchObject({ type: "InvalidDatasetIdError" });
  });
});
