import { S3Client } from "@aws-sdk/client-s3";
import type { Client } from "@temporalio/client";
import { WorkflowFailedError } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { parsePointer, parseVersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { S3ObjectStore } from "../../src/store/s3";
import type { ObjectStore } from "../../src/store/types";
import { readProjectionRows } from "./read-back";
import { makeS3Client, services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, workspace, type SeriesRow } from "./ingest-fixtures";
import { monthFiles } from "../../src/manifest/month-files";

const backends: { name: string; make: () => { store: ObjectStore; close(): void } }[] = [
  { name: "file", make: () => ({ store: new FsObjectStore(mkdtempSync(join(tmpdir(), "tidemark-store-"))), close() {} }) },
  {
    name: "s3",
    make: () => {
      const client: S3Client = makeS3Client();
      return { store: new S3ObjectStore({ client, bucket: services().s3.bucket, prefix: `wf-${Date.now()}` }), close: () => client.destroy() };
    },
  },
];

async function listAll(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys;
}

function sortRows(rows: SeriesRow[]): SeriesRow[] {
  return [...rows].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

describe.each(backends)("ingestDataset end to end on the real dev server [$name store]", ({ name, make }) => {
  const dataset = `e2e_${name}_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "snapshot");
  const taskQueue = uniqueTaskQueue(`ingest-${name}`);
  let backend: ReturnType<typeof make>;
  let client: Client;
  let worker: RunningWorker;
  let failBeforeCas = false;

  beforeAll(async () => {
    backend = make();
    client = await testClient();
    worker = await startTestWorker({
      store: backend.store, datasetsDir: ws.datasetsDir, taskQueue, client,
      faults: (point) => {
        if (failBeforeCas && point === "publish:before-cas") throw ApplicationFailure.nonRetryable("injected failure before the CAS", "InjectedFault");
      },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    backend?.close();
  });

  const ingest = (input: Record<string, unknown> = {}) =>
    client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, ...input }] }) as Promise<IngestResult>;

  const v1 = monthlySeries(["A", "B", "C"], "2024-01", 12, (s, m) => (s === "B" && m === 5 ? null : 100 + m + s.charCodeAt(0) / 10));

  it("publishes a first version whose data equals the source", async () => {
    ws.writeSource(v1);
    const result = await ingest();
    expect(result.status).toBe("published");
    expect(result.parentVersion).toBeNull();
    expect(result.counts).toMatchObject({ inserted: 36, updated: 0, deleted: 0, rowsTotal: 36 });
    expect(result.months).toHaveLength(12);
    expect(await readProjectionRows(backend.store, dataset)).toEqual(sortRows(v1));
    expect(await listAll(backend.store, `datasets/${dataset}/runs/`)).toEqual([]);
  });

  it("publishes a revision: updates, inserts and snapshot deletes, row by row", async () => {
    const before = parsePointer((await backend.store.get(`datasets/${dataset}/current/manifest.json`)).body);
    const expected = new Map(v1.map((r) => [keyOf(r), { ...r }]));
    const v2 = v1.filter((r) => !(r.series_id === "C" && r.obs_date < "2024-04")).map((r) => ({ ...r }));
    for (const r of v2) if (r.series_id === "A" && r.obs_date >= "2024-10") r.value = 999.5;
    v2.push(...monthlySeries(["A", "B", "C"], "2025-01", 1, () => 7.25));
    for (const k of [...expected.keys()]) if (k.startsWith("C|") && k < "C|2024-04") expected.delete(k);
    for (const r of v2) expected.set(keyOf(r), r);
    ws.writeSource(v2);
    const result = await ingest();
    expect(result).toMatchObject({ status: "published", parentVersion: before.current_version });
    expect(result.counts).toMatchObject({ inserted: 3, updated: 3, deleted: 3, rowsTotal: 36 });
    expect(await readProjectionRows(backend.store, dataset)).toEqual(sortRows([...expected.values()]));
    const manifest = parseVersionManifest((await backend.store.get(`datasets/${dataset}/events/${result.version}/manifest.json`)).body);
    expect(manifest.parent_version).toBe(before.current_version);
    expect(manifest.events.reduce((n, e) => n + e.rows, 0)).toBe(9);
    expect(Object.keys(manifest.projections.latest)).toHaveLength(13);
    const untouched = monthFiles(manifest.projections.latest["2024-06"])[0].path;
    expect(untouched).toContain(before.current_version);
  });

  it("ends 'unchanged' without writing when the source did not change", async () => {
    const keysBefore = await listAll(backend.store, `datasets/${dataset}/`);
    const result = await ingest();
    expect(result.status).toBe("unchanged");
    expect(await listAll(backend.store, `datasets/${dataset}/`)).toEqual(keysBefore);
  });

  it("dry run reports the change and writes nothing", async () => {
    const keysBefore = await listAll(backend.store, `datasets/${dataset}/`);
    ws.writeSource(monthlySeries(["A"], "2024-01", 2, () => 1));
    const result = await ingest({ dryRun: true });
    expect(result.status).toBe("dry-run");
    expect(result.counts.deleted).toBe(36 - 2);
    expect(await listAll(backend.store, `datasets/${dataset}/`)).toEqual(keysBefore);
  });

  it("a failure before the CAS runs the compensations: no object of the failed version remains", async () => {
    const pointerBefore = (await backend.store.get(`datasets/${dataset}/current/manifest.json`)).body;
    const keysBefore = await listAll(backend.store, `datasets/${dataset}/`);
    ws.writeSource(monthlySeries(["A", "B"], "2023-01", 3, () => 3));
    failBeforeCas = true;
    try {
      const err = await ingest().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
    } finally {
      failBeforeCas = false;
    }
    expect(Buffer.from((await backend.store.get(`datasets/${dataset}/current/manifest.json`)).body)).toEqual(Buffer.from(pointerBefore));
    expect(await listAll(backend.store, `datasets/${dataset}/`)).toEqual(keysBefore);
  });
});
