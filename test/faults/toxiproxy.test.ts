import type { S3Client } from "@aws-sdk/client-s3";
import type { Client } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { freePort } from "../../src/devstack/ports";
import { ensureTool } from "../../src/devstack/tools";
import { startToxiproxy, type Toxic, type ToxicType, type ToxiproxyServer } from "../../src/devstack/toxiproxy";
import { ingestWorkflowId } from "../../src/one-writer";
import { defaultS3Client } from "../../src/store/open";
import { S3ObjectStore } from "../../src/store/s3";
import { withDeadline } from "../support/deadline";
import { expectPublishedExactly } from "../support/published";
import { makeS3Client, services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, workspace, type SeriesRow } from "../workflows/ingest-fixtures";

const RUN_DEADLINE_MS = 180_000;

/** A toxic switched on `afterMs` into a run and off again `forMs` later. */
interface FaultWindow {
  toxic: Toxic;
  afterMs: number;
  forMs: number;
}

/**
 * Real ingests whose S3 traffic goes through Toxiproxy while latency, connection resets, stalled
 * connections and bandwidth limits are switched on and off mid-run: every run completes through
 * retries and publishes exactly its version, row by row.
 */
describe("TCP faults between the worker and S3 (Toxiproxy)", { timeout: RUN_DEADLINE_MS + 60_000 }, () => {
  const stamp = Date.now().toString(36);
  const dataset = `faults_tox_${stamp}`;
  const prefix = `faults-tox-${stamp}`;
  const proxyName = `minio-${stamp}`;
  const ws = workspace(dataset, "upsert");
  const taskQueue = uniqueTaskQueue("faults-tox");
  const windows: Record<string, number> = {};
  const failedAttempts: Record<string, number> = {};
  let toxiproxy: ToxiproxyServer;
  let proxied: S3Client;
  let direct: S3Client;
  let client: Client;
  let worker: RunningWorker;
  let state = new Map<string, SeriesRow>();
  const versions: string[] = [];

  beforeAll(async () => {
    const binary = await ensureTool("toxiproxy", { log: (line) => console.log(`[faults] ${line}`) });
    toxiproxy = await startToxiproxy({ binary });
    const { s3 } = services();
    const listen = `127.0.0.1:${await freePort()}`;
    await toxiproxy.client.createProxy(proxyName, listen, new URL(s3.endpoint).host);
    proxied = defaultS3Client({ endpoint: `http://${listen}`, region: s3.region, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    proxied.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (err) {
          const e = err as { code?: string; name?: string };
          const kind = e.code ?? e.name ?? "unknown";
          failedAttempts[kind] = (failedAttempts[kind] ?? 0) + 1;
          throw err;
        }
      },
      { step: "deserialize", name: "countFailedAttempts" },
    );
    direct = makeS3Client();
    const store = new S3ObjectStore({ client: proxied, bucket: s3.bucket, prefix, multipartThreshold: 64 * 1024 });
    client = await testClient();
    worker = await startTestWorker({ store, datasetsDir: ws.datasetsDir, taskQueue, client });
  }, 600_000);
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    proxied?.destroy();
    direct?.destroy();
    await toxiproxy?.stop();
    console.log(`[faults] toxiproxy: ${versions.length} ingests, toxic windows ${JSON.stringify(windows)}, failed S3 attempts ${JSON.stringify(failedAttempts)}`);
  });

  async function runWindow(w: FaultWindow, stop: AbortSignal): Promise<void> {
    const sleep = (ms: number) => new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      stop.addEventListener("abort", () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
    await sleep(w.afterMs);
    if (stop.aborted) return;
    await toxiproxy.client.addToxic(proxyName, w.toxic);
    windows[w.toxic.type] = (windows[w.toxic.type] ?? 0) + 1;
    try {
      await sleep(w.forMs);
    } finally {
      await toxiproxy.client.removeToxic(proxyName, w.toxic.name);
    }
  }

  /** Ingests `rows` (upsert) while `faults` toggle, then checks the published version against the test's own fold. */
  async function ingestDuring(faults: FaultWindow[], rows: SeriesRow[]): Promise<IngestResult> {
    const next = new Map(state);
    for (const r of rows) next.set(keyOf(r), r);
    ws.writeSource(rows);
    const failedBefore = Object.values(failedAttempts).reduce((a, b) => a + b, 0);
    const stop = new AbortController();
    const handle = await client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] });
    const toggling = Promise.all(faults.map((w) => runWindow(w, stop.signal)));
    let result: IngestResult;
    try {
      result = (await withDeadline(handle.result(), RUN_DEADLINE_MS, `ingest under ${faults.map((f) => f.toxic.name).join(", ")}`)) as IngestResult;
    } catch (err) {
      await handle.terminate("fault test gave up on it").catch(() => {});
      throw err;
    } finally {
      stop.abort();
      await toggling;
    }
    expect(await toxiproxy.client.toxics(proxyName)).toEqual([]);
    await expectPublishedExactly(new S3ObjectStore({ client: direct, bucket: services().s3.bucket, prefix }), dataset, result, versions, state, next);
    versions.push(result.version);
    state = next;
    const failedDuring = Object.values(failedAttempts).reduce((a, b) => a + b, 0) - failedBefore;
    console.log(`[faults] toxiproxy run ${versions.length} (${faults.map((f) => f.toxic.name).join(", ")}): ${failedDuring} failed S3 attempts, all retried`);
    return Object.assign(result, { failedDuring });
  }

  const toxic = <T extends ToxicType>(type: T, attributes: Toxic<T>["attributes"], stream: "upstream" | "downstream" = "downstream"): Toxic =>
    ({ name: `${type}-${stream}`, type, stream, attributes }) as Toxic;
  const series = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `T${String(i + from).padStart(3, "0")}`);
  const failed = (r: IngestResult) => (r as IngestResult & { failedDuring: number }).failedDuring;

  it("publishes through 300 ms ± 150 ms of latency each way", async () => {
    await ingestDuring(
      [
        { toxic: toxic("latency", { latency: 300, jitter: 150 }), afterMs: 0, forMs: 8_000 },
        { toxic: toxic("latency", { latency: 300, jitter: 150 }, "upstream"), afterMs: 0, forMs: 8_000 },
      ],
      monthlySeries(series(60), "2022-01", 36, (s, m) => m + s.charCodeAt(3) / 10),
    );
  });

  it("publishes through connection resets (reset_peer) switched on and off", async () => {
    const result = await ingestDuring(
      [
        { toxic: toxic("reset_peer", { timeout: 0 }), afterMs: 0, forMs: 3_000 },
        { toxic: toxic("reset_peer", { timeout: 200 }, "upstream"), afterMs: 5_000, forMs: 2_000 },
      ],
      monthlySeries(series(60), "2022-01", 36, (s, m) => (s < "T010" ? m - 1 : m + s.charCodeAt(3) / 10)),
    );
    expect(failed(result)).toBeGreaterThan(0);
  });

  it("publishes through connections that stall and are closed (timeout toxic)", async () => {
    const result = await ingestDuring(
      [{ toxic: toxic("timeout", { timeout: 1_500 }), afterMs: 0, forMs: 4_000 }],
      [...monthlySeries(series(10, 100), "2025-01", 6, () => 2.5), ...monthlySeries(["T001"], "2022-01", 36, () => 0)],
    );
    expect(failed(result)).toBeGreaterThan(0);
  });

  it("publishes through a 16 KB/s bandwidth limit", async () => {
    await ingestDuring(
      [
        { toxic: toxic("bandwidth", { rate: 16 }, "upstream"), afterMs: 0, forMs: 6_000 },
        { toxic: toxic("bandwidth", { rate: 16 }), afterMs: 1_000, forMs: 5_000 },
      ],
      monthlySeries(series(60), "2022-01", 36, (s, m) => (s.endsWith("5") ? m * 3 : m + s.charCodeAt(3) / 10)),
    );
  });

  it("publishes when every connection is held silent for seconds (timeout toxic that never closes)", async () => {
    await ingestDuring(
      [{ toxic: toxic("timeout", { timeout: 0 }), afterMs: 0, forMs: 3_000 }, { toxic: toxic("timeout", { timeout: 0 }), afterMs: 5_000, forMs: 2_000 }],
      monthlySeries(series(3, 200), "2024-01", 12, (_s, m) => m / 4),
    );
  });
});
