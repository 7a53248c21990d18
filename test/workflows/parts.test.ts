import type { S3Client } from "@aws-sdk/client-s3";
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { gcWorkflowId, verifyWorkflowId, type GcResult, type VerifyResult } from "../../src/maintenance";
import type { OptimizeResult } from "../../src/manifest/optimize";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { S3ObjectStore } from "../../src/store/s3";
import type { ObjectStore } from "../../src/store/types";
import { openDuck, rows as duckRows } from "../support/duck";
import { inspectPublished } from "../support/published";
import { makeS3Client, services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, workspace, type SeriesRow } from "./ingest-fixtures";
import { readProjectionRows } from "./read-back";

/**
 * Projection parts (SPEC §2, format /2) through the real workflows: appends add one part per touched
 * month and write no other projection object, an update rewrites only the part holding its key,
 * optimize merges the parts, verify stays clean and gc keeps exactly the live files. Expectations
 * come from the test's own model of the rows and its own listings of the store.
 */
const backends: { name: string; make: () => { store: ObjectStore; close(): void } }[] = [
  { name: "file", make: () => ({ store: new FsObjectStore(mkdtempSync(join(tmpdir(), "tidemark-parts-"))), close() {} }) },
  {
    name: "s3",
    make: () => {
      const client: S3Client = makeS3Client();
      return { store: new S3ObjectStore({ client, bucket: services().s3.bucket, prefix: `parts-${Date.now()}` }), close: () => client.destroy() };
    },
  },
];

async function listAll(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys.sort();
}

const sorted = (model: Map<string, SeriesRow>) => [...model.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
const monthDir = (month: string) => `projections/latest/year=${month.slice(0, 4)}/month=${month.slice(5, 7)}/`;

/** Files of a month of the latest projection as the manifest lists them (the test reads the /2 shape itself). */
function filesOf(manifest: VersionManifest, month: string): { path: string; rows: number; bytes: number }[] {
  const entry = manifest.projections.latest[month] as { rows: number; files: { path: string; rows: number; bytes: number }[] };
  expect(manifest.format).toBe("tidemark.version/2");
  return entry.files;
}

describe.each(backends)("projection parts and optimize on the real dev server [$name store]", ({ name, make }) => {
  const dataset = `parts_${name}_${Date.now().toString(36)}`;
  const root = `datasets/${dataset}/`;
  const ws = workspace(dataset, "upsert");
  const taskQueue = uniqueTaskQueue(`parts-${name}`);
  const model = new Map<string, SeriesRow>();
  let backend: ReturnType<typeof make>;
  let client: Client;
  let worker: RunningWorker;
  let hold: Promise<void> | null = null;
  let failBeforeCas = false;
  let atFault: string[] = [];
  let outsideWriter: (() => Promise<void>) | null = null;
  let reachedHold: () => void = () => undefined;

  beforeAll(async () => {
    backend = make();
    client = await testClient();
    worker = await startTestWorker({
      store: backend.store, datasetsDir: ws.datasetsDir, taskQueue, client,
      faults: async (point) => {
        if (point === "publish:before-cas" && failBeforeCas) {
          atFault = await listAll(backend.store, `${root}projections/`);
          throw ApplicationFailure.nonRetryable("injected failure before the CAS", "InjectedFault");
        }
        if (point === "optimize:before-cas" && outsideWriter) {
          const write = outsideWriter;
          outsideWriter = null;
          atFault = await listAll(backend.store, `${root}projections/`);
          await write();
        }
        if (point === "publish:before-cas" && hold) {
          reachedHold();
          await hold;
        }
      },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    backend?.close();
  });

  const ingest = async (rows: SeriesRow[]): Promise<IngestResult> => {
    ws.writeSource(rows);
    const result = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] })) as IngestResult;
    for (const r of rows) model.set(keyOf(r), r);
    return result;
  };
  const current = async (): Promise<VersionManifest> => {
    const pointer = parsePointer((await backend.store.get(`${root}current/manifest.json`)).body);
    return parseVersionManifest((await backend.store.get(root + pointer.manifest)).body);
  };
  const verifyClean = async () => {
    const r = (await client.workflow.execute("verifyDataset", { workflowId: `${verifyWorkflowId(dataset)}-${Date.now()}`, taskQueue, args: [{ dataset }] })) as VerifyResult;
    expect(r.findings).toEqual([]);
  };
  const projectionObjects = () => listAll(backend.store, `${root}projections/`);

  /** Every key of every file of every month, read file by file with DuckDB: no key in two files of its month. */
  async function expectOneFilePerKey(manifest: VersionManifest): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), "tidemark-parts-keys-"));
    const duck = await openDuck();
    try {
      for (const month of Object.keys(manifest.projections.latest)) {
        const seen = new Map<string, string>();
        for (const [i, f] of filesOf(manifest, month).entries()) {
          const local = join(dir, `${month}-${i}.parquet`);
          writeFileSync(local, (await backend.store.get(root + f.path)).body);
          const keys = await duckRows(duck.conn, `SELECT series_id, strftime(obs_date, '%Y-%m-%d') AS obs_date FROM read_parquet('${local}')`);
          expect(keys).toHaveLength(f.rows);
          for (const k of keys) {
            const key = keyOf({ series_id: String(k.series_id), obs_date: String(k.obs_date) });
            expect(seen.get(key), `${key} in ${f.path} and ${seen.get(key)}`).toBeUndefined();
            seen.set(key, f.path);
          }
        }
      }
    } finally {
      duck.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const versions: string[] = [];

  it("an initial load writes each month whole", async () => {
    const result = await ingest(monthlySeries(["A", "B"], "2024-01", 6, (s, m) => m + s.charCodeAt(0)));
    expect(result.status).toBe("published");
    versions.push(result.version);
    const m = await current();
    for (const month of ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]) {
      expect(filesOf(m, month)).toEqual([{ path: `${monthDir(month)}${result.version}.parquet`, rows: 2, bytes: expect.any(Number) }]);
    }
    expect(await readProjectionRows(backend.store, dataset)).toEqual(sorted(model));
    await expectOneFilePerKey(m);
    await verifyClean();
  });

  it("each of 3 appends adds one part to each touched month and writes no other projection object", async () => {
    for (const n of [1, 2, 3]) {
      const before = await current();
      const objectsBefore = await projectionObjects();
      const result = await ingest(monthlySeries([`N${n}`], "2024-02", 2, () => 10 * n));
      expect(result).toMatchObject({ status: "published", counts: { inserted: 2, updated: 0, deleted: 0 } });
      versions.push(result.version);
      const after = await current();
      const added = (await projectionObjects()).filter((k) => !objectsBefore.includes(k));
      const partNo = String(n).padStart(5, "0");
      expect(added).toEqual(["2024-02", "2024-03"].map((month) => `${root}${monthDir(month)}${result.version}-p${partNo}.parquet`));
      for (const month of ["2024-02", "2024-03"]) {
        expect(filesOf(after, month)).toEqual([...filesOf(before, month), { path: `${monthDir(month)}${result.version}-p${partNo}.parquet`, rows: 1, bytes: expect.any(Number) }]);
        expect(after.projections.latest[month].rows).toBe(2 + n);
      }
      for (const month of ["2024-01", "2024-04"]) expect(after.projections.latest[month]).toEqual(before.projections.latest[month]);
      expect(await readProjectionRows(backend.store, dataset)).toEqual(sorted(model));
      await expectOneFilePerKey(after);
      await verifyClean();
    }
  });

  it("an update of a key in an older part replaces only that part", async () => {
    const before = await current();
    const objectsBefore = await projectionObjects();
    const old = filesOf(before, "2024-02");
    const result = await ingest([{ series_id: "N1", obs_date: "2024-02-01", value: 55.5 }]);
    expect(result).toMatchObject({ status: "published", counts: { inserted: 0, updated: 1, deleted: 0 } });
    versions.push(result.version);
    const after = await current();
    const added = (await projectionObjects()).filter((k) => !objectsBefore.includes(k));
    const replacement = `${monthDir("2024-02")}${result.version}-p00003.parquet`;
    expect(added).toEqual([root + replacement]);
    expect(filesOf(after, "2024-02")).toEqual([old[0], old[2], old[3], { path: replacement, rows: 1, bytes: expect.any(Number) }]);
    expect(after.projections.latest["2024-03"]).toEqual(before.projections.latest["2024-03"]);
    expect(await readProjectionRows(backend.store, dataset)).toEqual(sorted(model));
    await expectOneFilePerKey(after);
    await verifyClean();
  });

  it("verify names a month whose key sits in two of its files", async () => {
    const files = filesOf(await current(), "2024-03");
    const original = (await backend.store.get(root + files[2].path)).body;
    await backend.store.put(root + files[2].path, (await backend.store.get(root + files[0].path)).body, { kind: "overwrite" });
    try {
      const r = (await client.workflow.execute("verifyDataset", { workflowId: `${verifyWorkflowId(dataset)}-${Date.now()}`, taskQueue, args: [{ dataset }] })) as VerifyResult;
      expect(r.findings).toContainEqual({
        check: "projection",
        object: "projections/latest/2024-03",
        problem: expect.stringContaining("1 live keys of the events are missing, 2 keys appear more than once, 2 keys appear in more than one file of the month"),
      });
    } finally {
      await backend.store.put(root + files[2].path, original, { kind: "overwrite" });
    }
    await verifyClean();
  });

  it("a failed append's compensations delete its new parts only, never a carried file", async () => {
    const before = await current();
    const objectsBefore = await projectionObjects();
    ws.writeSource([{ series_id: "X", obs_date: "2024-02-01", value: 1 }, { series_id: "X", obs_date: "2024-06-01", value: 2 }]);
    failBeforeCas = true;
    try {
      await expect(client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] })).rejects.toBeInstanceOf(WorkflowFailedError);
    } finally {
      failBeforeCas = false;
    }
    const written = atFault.filter((k) => !objectsBefore.includes(k));
    expect(written).toHaveLength(2);
    expect(written[0]).toMatch(new RegExp(`^${root}${monthDir("2024-02")}\\d{8}T\\d{9}Z-[0-9a-f]{8}-p00004\\.parquet$`));
    expect(written[1]).toMatch(new RegExp(`^${root}${monthDir("2024-06")}\\d{8}T\\d{9}Z-[0-9a-f]{8}-p00001\\.parquet$`));
    expect((await current()).version).toBe(before.version);
    expect(await projectionObjects()).toEqual(objectsBefore);
    expect(await listAll(backend.store, `${root}events/`)).toEqual((await listAll(backend.store, `${root}events/`)).filter((k) => versions.some((v) => k.includes(`/${v}/`))));
    await verifyClean();
  });

  it("optimize refuses to run beside an ingest of the dataset (one writer)", async () => {
    let release: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (reachedHold = resolve));
    hold = new Promise<void>((resolve) => (release = resolve));
    ws.writeSource([{ series_id: "H", obs_date: "2024-05-01", value: 1 }]);
    const running = client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] }) as Promise<IngestResult>;
    await reached;
    await expect(client.workflow.start("optimizeDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, all: true }] })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    const delegated = client.workflow.execute("optimizeDataset", { workflowId: `tidemark/optimize-schedule/${dataset}-test`, taskQueue, args: [{ dataset, all: true }] });
    await expect(delegated).rejects.toBeInstanceOf(WorkflowFailedError);
    await delegated.catch((err: WorkflowFailedError) => expect(String(err.cause?.message)).toMatch(new RegExp(`Dataset ${dataset} is being ingested by workflow ${ingestWorkflowId(dataset)}`)));
    hold = null;
    release();
    const result = await running;
    expect(result.status).toBe("published");
    versions.push(result.version);
    model.set(keyOf({ series_id: "H", obs_date: "2024-05-01" }), { series_id: "H", obs_date: "2024-05-01", value: 1 });
  });

  it("optimize merges the months with more parts than max_parts into one file, as a new version without events", async () => {
    const before = await current();
    const result = (await client.workflow.execute("optimizeDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, maxParts: 2 }] })) as OptimizeResult;
    expect(result).toMatchObject({ status: "published", parentVersion: before.version, merged: ["latest/2024-02", "latest/2024-03"], partsBefore: 8 });
    versions.push(result.version!);
    const after = await current();
    expect(after).toMatchObject({ parent_version: before.version, events: [], index: before.index, source: before.source, totals: { rows_total: before.totals.rows_total, inserted: 0, updated: 0, deleted: 0 } });
    for (const month of ["2024-02", "2024-03"]) {
      expect(filesOf(after, month)).toEqual([{ path: `${monthDir(month)}${result.version}.parquet`, rows: 5, bytes: expect.any(Number) }]);
    }
    for (const month of ["2024-01", "2024-04", "2024-05", "2024-06"]) expect(after.projections.latest[month]).toEqual(before.projections.latest[month]);
    expect(await readProjectionRows(backend.store, dataset)).toEqual(sorted(model));
    await expectOneFilePerKey(after);
    await verifyClean();
    const again = (await client.workflow.execute("optimizeDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, all: true }] })) as OptimizeResult;
    expect(again).toMatchObject({ status: "published", merged: ["latest/2024-05"], partsBefore: 2 });
    versions.push(again.version!);
    expect(filesOf(await current(), "2024-05")).toEqual([{ path: `${monthDir("2024-05")}${again.version}.parquet`, rows: 3, bytes: expect.any(Number) }]);
    const nothing = (await client.workflow.execute("optimizeDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, all: true }] })) as OptimizeResult;
    expect(nothing).toMatchObject({ status: "nothing", version: null, merged: [] });
    expect((await current()).version).toBe(again.version);
  });

  it("optimize that loses its CAS to an outside writer re-plans on the new base; the first plan's files are deleted", async () => {
    const appended = await ingest(monthlySeries(["P"], "2024-04", 1, () => 3));
    versions.push(appended.version);
    const before = await current();
    const objectsBefore = await projectionObjects();
    const outside = "20991231T000000000Z-0000abcd";
    outsideWriter = async () => {
      const pointer = await backend.store.get(`${root}current/manifest.json`);
      const manifest = { ...before, version: outside, parent_version: before.version, run: { workflow_id: "outside", run_id: "outside" } };
      await backend.store.put(`${root}events/${outside}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`, { kind: "create" });
      const next = { format: "tidemark.pointer/1", dataset_id: dataset, current_version: outside, manifest: `events/${outside}/manifest.json`, parent_version: before.version, published_at: new Date().toISOString() };
      await backend.store.put(`${root}current/manifest.json`, JSON.stringify(next), { kind: "update", etag: pointer.etag });
    };
    const result = (await client.workflow.execute("optimizeDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, all: true }] })) as OptimizeResult;
    expect(outsideWriter).toBeNull();
    const firstPlan = atFault.filter((k) => !objectsBefore.includes(k));
    expect(firstPlan).toHaveLength(1);
    expect(firstPlan[0]).not.toContain(result.version!);
    expect(result).toMatchObject({ status: "published", parentVersion: outside, attempts: 2, merged: ["latest/2024-04"] });
    expect(result.version! > outside).toBe(true);
    versions.push(outside, result.version!);
    const objects = await projectionObjects();
    expect(objects).not.toContain(firstPlan[0]);
    expect(objects.filter((k) => !objectsBefore.includes(k))).toEqual([`${root}${monthDir("2024-04")}${result.version}.parquet`]);
    expect(await readProjectionRows(backend.store, dataset)).toEqual(sorted(model));
    await verifyClean();
  });

  it("optimize rejects a maxParts that is not a positive integer, publishing nothing", async () => {
    const before = (await current()).version;
    const run = client.workflow.execute("optimizeDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, maxParts: 0 }] });
    await expect(run).rejects.toBeInstanceOf(WorkflowFailedError);
    await run.catch((err: WorkflowFailedError) => expect(String(err.cause?.message)).toBe(`maxParts 0 is not a positive integer; pass e.g. {"dataset":"${dataset}","maxParts":16}, or "all": true.`));
    expect((await current()).version).toBe(before);
  });

  it("gc keeps exactly the files every retained version references, parts included, and deletes an orphan part", async () => {
    const orphan = `${root}${monthDir("2024-02")}20200101T000000000Z-00000000-p00001.parquet`;
    await backend.store.put(orphan, new Uint8Array([1, 2, 3]), { kind: "create" });
    const gc = (await client.workflow.execute("collectGarbage", { workflowId: `${gcWorkflowId(dataset)}-${Date.now()}`, taskQueue, args: [{ dataset, olderThan: 0 }] })) as GcResult;
    expect(gc.keys).toEqual([orphan.slice(root.length)]);
    const published = await inspectPublished(backend.store, dataset);
    expect(published.chain.map((m) => m.version)).toEqual([...versions].reverse());
    expect(published.broken).toEqual([]);
    expect(published.unreferenced).toEqual([]);
    const live = new Set(published.chain.flatMap((m) => Object.values(m.projections.latest).flatMap((e) => ("files" in e ? e.files.map((f) => root + f.path) : [root + e.path]))));
    expect(await projectionObjects()).toEqual([...live].sort());
    await verifyClean();
  });
});
