import { Context } from "@temporalio/activity";
import type { Client } from "@temporalio/client";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { StoreUnavailableError } from "../../src/errors";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { sortedRows } from "../support/published";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, workspace } from "./ingest-fixtures";
import { readProjectionRows } from "./read-back";

/**
 * A writing activity that fails part-way is retried from its heartbeat details (SPEC §3): the retry
 * skips the projection months the failed attempt finished and writes only the rest (the version's
 * single event file is one item of the same heartbeat).
 */
describe("write resumes from its heartbeat after a failure mid-way", { timeout: 120_000 }, () => {
  const months = 24;
  const failAt = 20;
  const dataset = `resume_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "upsert");
  const base = new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-resume-")));
  const monthWrites: { key: string; attempt: number }[] = [];
  const eventFileWrites: number[] = [];
  let attempt = 1;
  const recordedAtLeast = 12;
  let recordedAtFailure = new Set<string>();
  /** Waits until the server holds a heartbeat of write listing at least `n` finished projection months (keys `parts:latest/YYYY-MM`; the event file is keyed `events`); returns the months. */
  const serverRecordedProgress = async (n: number): Promise<Set<string>> => {
    for (let i = 0; i < 300; i++) {
      const desc = await client.workflow.getHandle(ingestWorkflowId(dataset)).describe();
      for (const a of desc.raw.pendingActivities ?? []) {
        const data = a.heartbeatDetails?.payloads?.[0]?.data;
        const done = data ? Object.keys((JSON.parse(Buffer.from(data).toString()) as { done?: object }).done ?? {}).flatMap((k) => /^parts:latest\/(\d{4}-\d{2})$/.exec(k)?.slice(1, 2) ?? []) : [];
        if (done.length >= n) return new Set(done);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the server never recorded a heartbeat with ${n} finished months`);
  };
  const store: ObjectStore = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === "put" || prop === "putStream" || prop === "putFile" || prop === "moveFile") {
        return async (key: string, ...rest: unknown[]) => {
          if (key.includes("/events/") && key.endsWith(".parquet")) eventFileWrites.push(Context.current().info.attempt);
          if (key.includes("/projections/") && key.endsWith(".parquet")) {
            if (attempt === 1 && monthWrites.length + 1 === failAt) {
              attempt = 2;
              recordedAtFailure = await serverRecordedProgress(recordedAtLeast);
              throw new StoreUnavailableError(`injected: the store failed the write of ${key}`);
            }
            monthWrites.push({ key, attempt: Context.current().info.attempt });
          }
          return (target[prop] as (...a: unknown[]) => Promise<unknown>).call(target, key, ...rest);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const taskQueue = uniqueTaskQueue("resume");
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

  it("the retry writes only the months the failed attempt had not finished", async () => {
    const rows = monthlySeries(["A", "B", "C"], "2020-01", months, (_s, m) => m / 4);
    ws.writeSource(rows);
    const result = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] })) as IngestResult;
    expect(result.status).toBe("published");
    expect(attempt).toBe(2);

    const monthOf = (key: string) => /year=(\d{4})\/month=(\d{2})\//.exec(key)!.slice(1, 3).join("-");
    const first = new Set(monthWrites.filter((w) => w.attempt === 1).map((w) => w.key));
    const retry = monthWrites.filter((w) => w.attempt === 2).map((w) => w.key);
    expect(first.size).toBeGreaterThanOrEqual(failAt - 1);
    expect(new Set([...first, ...retry]).size).toBe(months);
    expect(recordedAtFailure.size).toBeGreaterThanOrEqual(recordedAtLeast);
    // The retry skips every month the server had recorded before the failure (later heartbeats may add more).
    expect(retry.filter((k) => recordedAtFailure.has(monthOf(k)))).toEqual([]);
    expect(retry.length).toBeLessThanOrEqual(months - recordedAtFailure.size);
    expect(eventFileWrites).toEqual([1]);
    expect(await readProjectionRows(base, dataset)).toEqual(sortedRows(new Map(rows.map((r) => [keyOf(r), r]))));
  });
});
