import type { S3Client } from "@aws-sdk/client-s3";
import type { Client } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { freePort } from "../../src/devstack/ports";
import { ensureTool } from "../../src/devstack/tools";
import { startToxiproxy, type Toxic, type ToxicType, type ToxiproxyServer } from "../../src/devstack/toxiproxy";
import { ingestWorkflowId } from "../../src/one-writer";
import { defaultS3Client, S3_SOCKET_IDLE_TIMEOUT_MS } from "../../src/store/open";
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

/** When a toxic was really active: from the moment Toxiproxy confirmed it to the moment its removal was asked. */
interface ActiveWindow {
  name: string;
  on: number;
  off: number;
}

/** One S3 request attempt through the proxy, as the test's own client middleware timed it. */
interface Attempt {
  command: string;
  start: number;
  end: number;
  /** Request body bytes sent upstream (0 when not known). */
  bytesUp: number;
  /** Error name of a failed attempt. */
  failed?: string;
}

/** Attempts that started after `w` was on and ended before it went off: the toxic applied to all of it. */
const inside = (attempts: Attempt[], ...ws: ActiveWindow[]) => attempts.filter((a) => ws.every((w) => a.start >= w.on && a.end <= w.off));

/**
 * Real ingests whose S3 traffic goes through Toxiproxy while latency, connection resets, stalled
 * connections and bandwidth limits are switched on and off mid-run: every run completes through
 * retries and publishes exactly its version, row by row. The test times every S3 request attempt
 * itself, so each toxic is shown to have affected requests (their latency, their upload rate, a
 * silent connection ending on the client's idle timeout; resets and closes as failed attempts).
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
  const attempts: Attempt[] = [];
  let active: ActiveWindow[] = [];
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
      (next, context) => async (args) => {
        const body = (args.request as { body?: unknown }).body;
        const attempt: Attempt = { command: context.commandName ?? "?", start: Date.now(), end: 0, bytesUp: body instanceof Uint8Array ? body.byteLength : typeof body === "string" ? Buffer.byteLength(body) : 0 };
        attempts.push(attempt);
        try {
          const out = await next(args);
          attempt.end = Date.now();
          return out;
        } catch (err) {
          attempt.end = Date.now();
          const e = err as { code?: string; name?: string };
          const kind = e.code ?? e.name ?? "unknown";
          attempt.failed = `${e.name ?? "Error"}${e.code ? ` (${e.code})` : ""}`;
          failedAttempts[kind] = (failedAttempts[kind] ?? 0) + 1;
          throw err;
        }
      },
      { step: "deserialize", name: "timeAttempts" },
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

  async function switchOn(w: FaultWindow): Promise<ActiveWindow> {
    await toxiproxy.client.addToxic(proxyName, w.toxic);
    const window: ActiveWindow = { name: w.toxic.name, on: Date.now(), off: Infinity };
    active.push(window);
    windows[w.toxic.type] = (windows[w.toxic.type] ?? 0) + 1;
    return window;
  }

  /** Switches `w` on after its delay (unless `on` already is: a window at 0 is on before the run starts), and off `forMs` later or when the run ends. */
  async function runWindow(w: FaultWindow, stop: AbortSignal, on?: ActiveWindow): Promise<void> {
    const sleep = (ms: number) => new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      stop.addEventListener("abort", () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
    if (!on) {
      await sleep(w.afterMs);
      if (stop.aborted) return;
    }
    const window = on ?? (await switchOn(w));
    try {
      await sleep(w.forMs);
    } finally {
      window.off = Date.now();
      await toxiproxy.client.removeToxic(proxyName, w.toxic.name);
    }
  }

  /** Ingests `rows` (upsert) while `faults` toggle, then checks the published version against the test's own fold. */
  async function ingestDuring(faults: FaultWindow[], rows: SeriesRow[]): Promise<IngestResult> {
    attempts.length = 0;
    active = [];
    const next = new Map(state);
    for (const r of rows) next.set(keyOf(r), r);
    ws.writeSource(rows);
    const failedBefore = Object.values(failedAttempts).reduce((a, b) => a + b, 0);
    const stop = new AbortController();
    const early = await Promise.all(faults.map((w) => (w.afterMs === 0 ? switchOn(w) : undefined)));
    const handle = await client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] });
    const toggling = Promise.all(faults.map((w, i) => runWindow(w, stop.signal, early[i])));
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

  it("publishes through 300 ms ± 150 ms of latency each way, every request under it measured >= 300 ms", async () => {
    await ingestDuring(
      [
        { toxic: toxic("latency", { latency: 300, jitter: 150 }), afterMs: 0, forMs: 8_000 },
        { toxic: toxic("latency", { latency: 300, jitter: 150 }, "upstream"), afterMs: 0, forMs: 8_000 },
      ],
      monthlySeries(series(60), "2022-01", 36, (s, m) => m + s.charCodeAt(3) / 10),
    );
    const under = inside(attempts, ...active);
    const ms = under.map((a) => a.end - a.start).sort((a, b) => a - b);
    console.log(`[faults] latency: ${under.length} S3 requests ran entirely under both toxics, ${ms[0]}..${ms.at(-1)} ms (median ${ms[Math.floor(ms.length / 2)]})`);
    expect(under.length).toBeGreaterThanOrEqual(3);
    // At least 150 ms each way (300 - 150 jitter): a request and its answer each crossed the proxy once.
    expect(ms[0]).toBeGreaterThanOrEqual(300 - 5);
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

  it("publishes through a 16 KB/s bandwidth limit, uploads under it measured at no more than that rate", async () => {
    await ingestDuring(
      [
        // The whole run: the source copy (~47 KB) starts and ends under it however slow the machine is.
        { toxic: toxic("bandwidth", { rate: 16 }, "upstream"), afterMs: 0, forMs: RUN_DEADLINE_MS },
        { toxic: toxic("bandwidth", { rate: 16 }), afterMs: 1_000, forMs: 7_000 },
      ],
      monthlySeries(series(60), "2022-01", 36, (s, m) => (s.endsWith("5") ? m * 3 : m + s.charCodeAt(3) / 10)),
    );
    const upstream = active.find((w) => w.name === "bandwidth-upstream")!;
    const uploads = inside(attempts, upstream).filter((a) => a.bytesUp >= 16_000);
    const rates = uploads.map((a) => Math.round(a.bytesUp / ((a.end - a.start) / 1000)));
    console.log(`[faults] bandwidth: ${uploads.length} uploads of >= 16 KB ran entirely under the upstream limit at ${rates.join(", ")} bytes/s`);
    expect(uploads.length).toBeGreaterThan(0);
    // 16 KB/s is at most 16,384 bytes/s; allow 10 % for the request line and headers counted outside the body.
    for (const r of rates) expect(r).toBeLessThanOrEqual(16_384 * 1.1);
  });

  it("publishes when every connection is held silent (timeout toxic that never closes): requests caught in it fail on the client's idle timeout and are retried", { timeout: RUN_DEADLINE_MS + 60_000 }, async () => {
    await ingestDuring(
      // Longer than the idle timeout: removing the toxic resets its connections, so a shorter silence ends in resets, not timeouts.
      [{ toxic: toxic("timeout", { timeout: 0 }), afterMs: 0, forMs: S3_SOCKET_IDLE_TIMEOUT_MS + 3_000 }],
      monthlySeries(series(3, 200), "2024-01", 12, (_s, m) => m / 4),
    );
    const timedOut = attempts.filter((a) => a.failed?.startsWith("TimeoutError") && a.end - a.start >= S3_SOCKET_IDLE_TIMEOUT_MS - 1_000);
    console.log(`[faults] silent connections: ${timedOut.length} S3 requests failed after ${timedOut.map((a) => a.end - a.start).join(", ")} ms (${timedOut.map((a) => `${a.command}: ${a.failed}`).join(", ")}) and were retried`);
    expect(timedOut.length).toBeGreaterThan(0);
    for (const a of timedOut) expect(active.some((w) => a.start <= w.off && a.end >= w.on), `${a.command} overlapped a silent window`).toBe(true);
  });
});
