import type { S3Client } from "@aws-sdk/client-s3";
import type { Client } from "@temporalio/client";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { AlreadyExistsError, StoreUnavailableError } from "../../src/errors";
import { ingestWorkflowId } from "../../src/one-writer";
import { defaultS3Client } from "../../src/store/open";
import { S3ObjectStore } from "../../src/store/s3";
import { startFaultProxy, type FaultProxy, type FaultRule, type ProxiedRequest } from "../support/fault-proxy";
import { withDeadline } from "../support/deadline";
import { expectPublishedExactly } from "../support/published";
import { makeS3Client, services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, workspace, type SeriesRow } from "../workflows/ingest-fixtures";

const RUN_DEADLINE_MS = 150_000;

const isPointerCas = (r: ProxiedRequest) =>
  r.method === "PUT" && r.path.endsWith("/current/manifest.json") && (r.headers["if-match"] !== undefined || r.headers["if-none-match"] !== undefined);
const isCompleteMultipart = (r: ProxiedRequest) => r.method === "POST" && r.query.has("uploadId");
const isUploadPart = (r: ProxiedRequest) => r.method === "PUT" && r.query.has("partNumber");

/**
 * Ingests through an HTTP proxy that answers S3 requests with 500 InternalError and 503 SlowDown —
 * before forwarding them, or after MinIO applied them (ambiguous commits) — still publish every
 * version exactly once with the right rows.
 */
describe("S3 5xx and throttling during real ingests", { timeout: 240_000 }, () => {
  const stamp = Date.now().toString(36);
  const dataset = `faults_5xx_${stamp}`;
  const prefix = `faults-5xx-${stamp}`;
  const ws = workspace(dataset, "upsert");
  const taskQueue = uniqueTaskQueue("faults-5xx");
  let proxy: FaultProxy;
  let proxied: S3Client;
  let direct: S3Client;
  let client: Client;
  let worker: RunningWorker;
  let state = new Map<string, SeriesRow>();
  const versions: string[] = [];

  beforeAll(async () => {
    const { s3 } = services();
    proxy = await startFaultProxy(s3.endpoint);
    proxied = defaultS3Client({ endpoint: proxy.endpoint, region: s3.region, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    direct = makeS3Client();
    const store = new S3ObjectStore({ client: proxied, bucket: s3.bucket, prefix, multipartThreshold: 64 * 1024 });
    client = await testClient();
    worker = await startTestWorker({ store, datasetsDir: ws.datasetsDir, taskQueue, client });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    await proxy?.close();
    proxied?.destroy();
    direct?.destroy();
    console.log(`[faults] http 5xx: ${versions.length} ingests, injected ${JSON.stringify(proxy?.injected)}, requests ${JSON.stringify(proxy?.requests)}`);
  });

  const verifyStore = () => new S3ObjectStore({ client: direct, bucket: services().s3.bucket, prefix });

  /** Runs one ingest of `rows` under `rules` and checks the published version row by row against the test's own fold. */
  async function ingestUnder(rules: FaultRule[], rows: SeriesRow[]): Promise<IngestResult> {
    const next = new Map(state);
    for (const r of rows) next.set(keyOf(r), r);
    ws.writeSource(rows);
    proxy.setRules(rules);
    const handle = await client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] });
    let result: IngestResult;
    try {
      result = (await withDeadline(handle.result(), RUN_DEADLINE_MS, `ingest ${handle.workflowId} under ${rules.map((r) => r.name).join(", ")}`)) as IngestResult;
    } catch (err) {
      await handle.terminate("fault test gave up on it").catch(() => {});
      throw err;
    } finally {
      proxy.setRules([]);
    }
    await expectPublishedExactly(verifyStore(), dataset, result, versions, state, next);
    versions.push(result.version);
    state = next;
    return result;
  }

  const series = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `S${String(i + from).padStart(3, "0")}`);

  it("retries SlowDown on every write and an ambiguous 500 on the first pointer CAS (If-None-Match)", async () => {
    await ingestUnder(
      [
        { name: "cas-create-applied-then-500", match: isPointerCas, fault: "internal", when: "after", timesPerKey: 1 },
        { name: "put-slowdown", match: (r) => r.method === "PUT", fault: "slowDown", when: "before", timesPerKey: 2 },
      ],
      monthlySeries(series(80), "2022-01", 48, (s, m) => m + s.charCodeAt(3) / 10),
    );
    expect(proxy.injected["cas-create-applied-then-500"]).toBe(1);
    expect(proxy.injected["put-slowdown"]).toBeGreaterThan(10);
  });

  it("retries 500 on multipart parts and an applied CompleteMultipartUpload, and throttled reads", async () => {
    await ingestUnder(
      [
        { name: "complete-applied-then-500", match: isCompleteMultipart, fault: "internal", when: "after", timesPerKey: 1 },
        { name: "part-503", match: isUploadPart, fault: "unavailable", when: "before", timesPerKey: 1 },
        { name: "read-slowdown", match: (r) => r.method === "GET" || r.method === "HEAD", fault: "slowDown", when: "before", fraction: 0.05 },
      ],
      // Every row revised: the event file and the index are above the 64 KiB multipart threshold.
      monthlySeries(series(80), "2022-01", 48, (s, m) => m + 0.5 + s.charCodeAt(3) / 10),
    );
    expect(proxy.injected["complete-applied-then-500"]).toBeGreaterThanOrEqual(1);
    expect(proxy.injected["part-503"]).toBeGreaterThanOrEqual(1);
    expect(proxy.injected["read-slowdown"]).toBeGreaterThan(0);
  });

  it("an applied pointer CAS answered 500 until the SDK gives up is finished idempotently by the activity retry", async () => {
    const before = proxy.injected["cas-update-applied-then-500"] ?? 0;
    await ingestUnder(
      [{ name: "cas-update-applied-then-500", match: isPointerCas, fault: "internal", when: "after", timesPerKey: 3 }],
      [...monthlySeries(["S001", "S002"], "2022-01", 48, () => 1.25), ...monthlySeries(series(5, 100), "2026-01", 3, () => 9)],
    );
    expect((proxy.injected["cas-update-applied-then-500"] ?? 0) - before).toBe(3);
  });

  it("a pointer CAS throttled past the SDK's attempts is retried by Temporal", async () => {
    await ingestUnder(
      [{ name: "cas-slowdown", match: isPointerCas, fault: "slowDown", when: "before", timesPerKey: 4 }],
      monthlySeries(["S003"], "2022-01", 12, () => -3),
    );
    expect(proxy.injected["cas-slowdown"]).toBe(4);
  });

  it("completes under 15 % random 500/503 on every request, before or after the store applied them", async () => {
    await ingestUnder(
      [
        { name: "random-500-after", match: (r) => r.method === "PUT" || r.method === "DELETE", fault: "internal", when: "after", fraction: 0.1 },
        { name: "random-503-before", match: () => true, fault: "slowDown", when: "before", fraction: 0.15 },
      ],
      [...monthlySeries(series(20, 40), "2023-06", 12, (_s, m) => m * 2), ...monthlySeries(series(3, 200), "2021-01", 2, () => 0)],
    );
    expect((proxy.injected["random-500-after"] ?? 0) + (proxy.injected["random-503-before"] ?? 0)).toBeGreaterThan(5);
  });

  it("a create-only multipart upload whose Complete is applied but answered 500 leaves exactly the written bytes", async () => {
    const { s3 } = services();
    const store = new S3ObjectStore({ client: proxied, bucket: s3.bucket, prefix: `${prefix}-mp`, multipartThreshold: 64 * 1024, partSize: 5 * 1024 * 1024 });
    const body = randomBytes(5 * 1024 * 1024 + 4096);
    proxy.setRules([{ name: "create-complete-applied-then-500", match: isCompleteMultipart, fault: "internal", when: "after", timesPerKey: 1 }]);
    let outcome: unknown;
    try {
      outcome = await store.putStream("obj.bin", Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), { kind: "create" }).catch((e: unknown) => e);
    } finally {
      proxy.setRules([]);
    }
    expect(proxy.injected["create-complete-applied-then-500"]).toBe(1);
    if (outcome instanceof Error) expect(outcome).toSatisfy((e) => e instanceof StoreUnavailableError || e instanceof AlreadyExistsError);
    else expect(outcome).toMatchObject({ size: body.length });
    const check = new S3ObjectStore({ client: direct, bucket: s3.bucket, prefix: `${prefix}-mp` });
    expect(Buffer.compare((await check.get("obj.bin")).body, body)).toBe(0);
    const again = await store.putStream("obj.bin", Readable.from([body]), { kind: "create" }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(AlreadyExistsError);
  });
});
