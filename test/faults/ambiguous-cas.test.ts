import type { S3Client } from "@aws-sdk/client-s3";
import type { Client } from "@temporalio/client";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { ingestWorkflowId } from "../../src/one-writer";
import { defaultS3Client } from "../../src/store/open";
import { S3ObjectStore } from "../../src/store/s3";
import { withDeadline } from "../support/deadline";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy";
import { OUTSIDE_NAMESPACE } from "../support/global-setup";
import { inspectPublished, sortedRows } from "../support/published";
import { makeS3Client, services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, toCsv, workspace, type SeriesRow } from "../workflows/ingest-fixtures";
import { readProjectionRows } from "../workflows/read-back";

/**
 * Our pointer CAS is applied but answered 500, and before our retry looks again a writer outside
 * Tidemark publishes on top of our version. The retry must recognise its version in the chain and
 * finish as published — not re-plan and compensate away files the outside version now references.
 */
describe("an applied-but-failed CAS followed by an outside publish", { timeout: 300_000 }, () => {
  const stamp = Date.now().toString(36);
  const dataset = `faults_cas_${stamp}`;
  const prefix = `faults-cas-${stamp}`;
  const ws = workspace(dataset, "upsert");
  const outsideSource = join(ws.dir, "outside.csv");
  const ours = uniqueTaskQueue("cas-ours");
  const theirs = uniqueTaskQueue("cas-theirs");
  let proxy: FaultProxy;
  let proxied: S3Client;
  let direct: S3Client;
  let client: Client;
  let outsideClient: Client;
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    const { s3 } = services();
    proxy = await startFaultProxy(s3.endpoint);
    proxied = defaultS3Client({ endpoint: proxy.endpoint, region: s3.region, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    direct = makeS3Client();
    client = await testClient();
    outsideClient = await testClient(OUTSIDE_NAMESPACE);
    workers.push(await startTestWorker({ store: new S3ObjectStore({ client: proxied, bucket: s3.bucket, prefix }), datasetsDir: ws.datasetsDir, taskQueue: ours, client }));
    workers.push(
      await startTestWorker({
        store: new S3ObjectStore({ client: direct, bucket: s3.bucket, prefix }), datasetsDir: ws.datasetsDir, taskQueue: theirs, client: outsideClient, namespace: OUTSIDE_NAMESPACE,
      }),
    );
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await client?.connection.close();
    await outsideClient?.connection.close();
    await proxy?.close();
    proxied?.destroy();
    direct?.destroy();
  });

  const ingest = (c: Client, taskQueue: string, source?: string) =>
    withDeadline(c.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, source }] }) as Promise<IngestResult>, 180_000, `ingest on ${taskQueue}`);

  it("finishes published, keeps every object of both versions and both changes", async () => {
    const v1 = monthlySeries(["A", "B"], "2024-01", 6, (_s, m) => m);
    ws.writeSource(v1);
    const first = await ingest(client, ours);
    expect(first.status).toBe("published");

    const ourRows = monthlySeries(["A"], "2024-01", 6, (_s, m) => m + 0.5);
    const outsideRows = monthlySeries(["Z"], "2024-03", 2, () => 42);
    ws.writeSource(ourRows);
    writeFileSync(outsideSource, toCsv(outsideRows));
    let outside: IngestResult | undefined;
    proxy.setRules([
      {
        name: "cas-applied-then-500",
        match: (r) => r.method === "PUT" && r.path.endsWith("/current/manifest.json") && r.headers["if-match"] !== undefined,
        fault: "internal",
        when: "after",
        timesPerKey: 3,
        onFault: async () => {
          outside ??= await ingest(outsideClient, theirs, `file://${outsideSource}`);
        },
      },
    ]);
    let result: IngestResult;
    try {
      result = await ingest(client, ours);
    } finally {
      proxy.setRules([]);
    }

    expect(outside).toMatchObject({ status: "published" });
    expect(result).toMatchObject({ status: "published", parentVersion: first.version, counts: { updated: 6, inserted: 0 } });
    expect(outside!.parentVersion).toBe(result.version);
    const store = new S3ObjectStore({ client: direct, bucket: services().s3.bucket, prefix });
    const published = await inspectPublished(store, dataset);
    expect(published.chain.map((m) => m.version)).toEqual([outside!.version, result.version, first.version]);
    expect(published.broken).toEqual([]);
    expect(published.unreferenced).toEqual([]);
    const expected = new Map<string, SeriesRow>();
    for (const r of [...v1, ...ourRows, ...outsideRows]) expected.set(keyOf(r), r);
    expect(await readProjectionRows(store, dataset)).toEqual(sortedRows(expected));
  });
});
