import { Context } from "@temporalio/activity";
import type { Client } from "@temporalio/client";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { StoreUnavailableError } from "../../src/errors";
import { parsePointer, parseVersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { sortedRows } from "../support/published";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, workspace, type SeriesRow } from "./ingest-fixtures";
import { readProjectionRows } from "./read-back";

/**
 * Consolidation with parts resumes from its heartbeat details (SPEC §3): an append whose projection
 * writes fail part-way is retried, the retry writes only the parts of months the failed attempt had
 * not finished, and the version lists every month's carried file plus its one new part.
 */
describe("consolidate with parts resumes from its heartbeat after a failure mid-way", { timeout: 120_000 }, () => {
  const months = 24;
  const failAt = 18;
  const recordedAtLeast = 8;
  const dataset = `parts_resume_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "upsert");
  const base = new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-parts-resume-")));
  const partWrites: { key: string; attempt: number }[] = [];
  let failing = false;
  let failed = false;
  let recordedAtFailure = new Set<string>();
  const serverRecordedParts = async (n: number): Promise<Set<string>> => {
    for (let i = 0; i < 300; i++) {
      const desc = await client.workflow.getHandle(ingestWorkflowId(dataset)).describe();
      for (const a of desc.raw.pendingActivities ?? []) {
        const data = a.heartbeatDetails?.payloads?.[0]?.data;
        const done = data ? Object.keys((JSON.parse(Buffer.from(data).toString()) as { done?: object }).done ?? {}).filter((k) => k.startsWith("parts:latest/")) : [];
        if (done.length >= n) return new Set(done.map((k) => k.slice("parts:latest/".length)));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the server never recorded a heartbeat with ${n} finished projection months`);
  };
  const store: ObjectStore = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === "put" || prop === "putStream" || prop === "putFile" || prop === "moveFile") {
        return async (key: string, ...rest: unknown[]) => {
          if (failing && key.includes("/projections/") && key.endsWith(".parquet")) {
            const attempt = Context.current().info.attempt;
            if (!failed && partWrites.length + 1 === failAt) {
              failed = true;
              recordedAtFailure = await serverRecordedParts(recordedAtLeast);
              throw new StoreUnavailableError(`injected: the store failed the write of ${key}`);
            }
            partWrites.push({ key, attempt });
          }
          return (target[prop] as (...a: unknown[]) => Promise<unknown>).call(target, key, ...rest);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const taskQueue = uniqueTaskQueue("parts-resume");
  let client: Client;
  let worker: RunningWorker;

  beforeAll(async () => {
    client = await testClient();
    worker = await startTestWorker({ store, datasetsDir: ws.datasetsDir, taskQueue, client });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });

  const run = async (rows: SeriesRow[]) => {
    ws.writeSource(rows);
    return (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] })) as IngestResult;
  };

  it("the retry writes only the parts of months the failed attempt had not finished", async () => {
    const first = monthlySeries(["A"], "2020-01", months, (_s, m) => m);
    const v1 = await run(first);
    expect(v1.status).toBe("published");
    const appended = monthlySeries(["B"], "2020-01", months, (_s, m) => m / 2);
    failing = true;
    const v2 = await run(appended);
    expect(v2).toMatchObject({ status: "published", counts: { inserted: months, updated: 0, deleted: 0 } });
    expect(failed).toBe(true);

    const monthOf = (key: string) => /year=(\d{4})\/month=(\d{2})\//.exec(key)!.slice(1, 3).join("-");
    const firstAttempt = new Set(partWrites.filter((w) => w.attempt === 1).map((w) => w.key));
    const retry = partWrites.filter((w) => w.attempt === 2).map((w) => w.key);
    expect(firstAttempt.size).toBeGreaterThanOrEqual(failAt - 1);
    expect(retry.length).toBeGreaterThan(0);
    expect(recordedAtFailure.size).toBeGreaterThanOrEqual(recordedAtLeast);
    expect(retry.filter((k) => recordedAtFailure.has(monthOf(k)))).toEqual([]);
    expect(new Set([...firstAttempt, ...retry]).size).toBe(months);
    for (const key of [...firstAttempt, ...retry]) expect(key).toMatch(new RegExp(`/${v2.version}-p00001\\.parquet$`));

    const root = `datasets/${dataset}/`;
    const manifest = parseVersionManifest((await base.get(root + parsePointer((await base.get(`${root}current/manifest.json`)).body).manifest)).body);
    for (const [month, entry] of Object.entries(manifest.projections.latest)) {
      const dir = `projections/latest/year=${month.slice(0, 4)}/month=${month.slice(5, 7)}/`;
      expect(entry).toEqual({ rows: 2, files: [{ path: `${dir}${v1.version}.parquet`, rows: 1, bytes: expect.any(Number) }, { path: `${dir}${v2.version}-p00001.parquet`, rows: 1, bytes: expect.any(Number) }] });
    }
    expect(Object.keys(manifest.projections.latest)).toHaveLength(months);
    expect(await readProjectionRows(base, dataset)).toEqual(sortedRows(new Map([...first, ...appended].map((r) => [keyOf(r), r]))));
  });
});
