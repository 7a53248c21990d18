import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import type { ObjectStore } from "../../src/store/types";
import { openDuck, rows as duckRows } from "../support/duck";
import { keyOf, type SeriesRow } from "../workflows/ingest-fixtures";
import { readProjectionRows } from "../workflows/read-back";
import type { CrashBed } from "./bed";
import { monthFiles } from "../../src/manifest/month-files";

/** One change event as the test expects it or reads it back. */
export interface EventRow extends SeriesRow {
  _op: "insert" | "update" | "delete";
}

const byKey = <T extends SeriesRow>(rows: T[]): T[] => [...rows].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));

/** The events a snapshot `next` on top of `prev` must produce, computed by the test from the source rows alone. */
export function expectedEvents(prev: SeriesRow[], next: SeriesRow[]): EventRow[] {
  const before = new Map(prev.map((r) => [keyOf(r), r]));
  const after = new Map(next.map((r) => [keyOf(r), r]));
  const out: EventRow[] = [];
  for (const [k, r] of after) {
    const old = before.get(k);
    if (!old) out.push({ ...r, _op: "insert" });
    else if (old.value !== r.value) out.push({ ...r, _op: "update" });
  }
  for (const [k, r] of before) if (!after.has(k)) out.push({ ...r, _op: "delete" });
  return byKey(out);
}

async function manifestOf(store: ObjectStore, dataset: string, version?: string): Promise<VersionManifest> {
  const root = `datasets/${dataset}/`;
  const path = version ? `events/${version}/manifest.json` : parsePointer((await store.get(`${root}current/manifest.json`)).body).manifest;
  return parseVersionManifest((await store.get(root + path)).body);
}

/** Every event row of `version`, read by DuckDB from the event files its manifest lists. */
export async function readEventRows(store: ObjectStore, dataset: string, version: string): Promise<EventRow[]> {
  const root = `datasets/${dataset}/`;
  const manifest = await manifestOf(store, dataset, version);
  const dir = mkdtempSync(join(tmpdir(), "tidemark-events-"));
  const duck = await openDuck();
  try {
    const files = await Promise.all(
      manifest.events.map(async (e, i) => {
        const local = join(dir, `e${i}.parquet`);
        writeFileSync(local, (await store.get(root + e.path)).body);
        return `'${local}'`;
      }),
    );
    if (files.length === 0) return [];
    const out = await duckRows(duck.conn, `SELECT series_id, strftime(obs_date, '%Y-%m-%d') AS obs_date, value, _op, _version FROM read_parquet([${files.join(",")}]) ORDER BY series_id, obs_date, _op`);
    expect(new Set(out.map((r) => r._version))).toEqual(new Set([version]));
    return out.map((r) => ({ series_id: String(r.series_id), obs_date: String(r.obs_date), value: r.value === null ? null : Number(r.value), _op: r._op as EventRow["_op"] }));
  } finally {
    duck.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Keys (relative to the dataset root) of every object a version reachable from the pointer references, walked by the test. */
export async function reachableKeys(store: ObjectStore, dataset: string): Promise<Set<string>> {
  const keys = new Set(["current/manifest.json"]);
  let manifest: VersionManifest | null = await manifestOf(store, dataset);
  while (manifest) {
    keys.add(`events/${manifest.version}/manifest.json`);
    for (const e of manifest.events) keys.add(e.path);
    for (const i of manifest.index) keys.add(i.path);
    for (const months of Object.values(manifest.projections)) for (const f of Object.values(months).flatMap(monthFiles)) keys.add(f.path);
    if (manifest.quarantine) keys.add(manifest.quarantine.path);
    manifest = manifest.parent_version ? await manifestOf(store, dataset, manifest.parent_version) : null;
  }
  return keys;
}

async function listed(store: ObjectStore, dataset: string): Promise<string[]> {
  const root = `datasets/${dataset}/`;
  const out: string[] = [];
  for await (const o of store.list(root)) out.push(o.key.slice(root.length));
  return out;
}

/** Files an fs store hides from listings (temporary and lock files) left under `dir`. */
export function hiddenLeftovers(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((d) => d.isFile() && (d.name.startsWith(".tmp-") || d.name.includes(".tidemark-lock")))
    .map((d) => join(d.parentPath, d.name));
}

/**
 * Asserts everything a crashed-and-resumed run must leave: `result` published `next` on top of
 * `prev`; the projection (read by DuckDB) equals `next` row by row; the version's events are
 * exactly the test's own delta (nothing lost, nothing twice); the webhook was told with the
 * version's idempotency key; verify is clean; and after gc the store holds exactly the objects
 * reachable versions reference, with no hidden temp file (fs) or incomplete multipart upload (S3) left.
 */
export async function expectCleanPublish(bed: CrashBed, prev: SeriesRow[], next: SeriesRow[], result: IngestResult, { notify = true } = {}): Promise<void> {
  const events = expectedEvents(prev, next);
  expect(result.status).toBe("published");
  expect(result.counts).toMatchObject({
    inserted: events.filter((e) => e._op === "insert").length,
    updated: events.filter((e) => e._op === "update").length,
    deleted: events.filter((e) => e._op === "delete").length,
    rowsTotal: next.length,
  });
  const current = await manifestOf(bed.store, bed.dataset);
  expect(current.version).toBe(result.version);
  expect(await readProjectionRows(bed.store, bed.dataset)).toEqual(byKey(next));
  const actual = await readEventRows(bed.store, bed.dataset, result.version);
  expect(actual.length).toBe(events.length);
  expect(actual).toEqual(events);
  if (notify) {
    const told = bed.notified.filter((r) => r.headers["idempotency-key"] === `${bed.dataset}/${result.version}`);
    expect(told.length).toBeGreaterThan(0);
    expect(JSON.parse(told[0].body)).toMatchObject({ dataset_id: bed.dataset, version: result.version });
  }
  expect((await bed.verify()).findings).toEqual([]);
  await bed.gc();
  const reachable = await reachableKeys(bed.store, bed.dataset);
  expect(await listed(bed.store, bed.dataset)).toEqual([...reachable].sort());
  if (bed.storeDir) expect(hiddenLeftovers(bed.storeDir)).toEqual([]);
  expect(await incompleteUploads(bed)).toEqual([]);
}

/** Keys (relative to the store prefix) of the multipart uploads left incomplete under an S3 bed's prefix, listed by the test itself. */
export async function incompleteUploads(bed: CrashBed): Promise<string[]> {
  if (!bed.s3) return [];
  const { client, bucket, prefix } = bed.s3;
  const keys: string[] = [];
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  do {
    // MinIO lists uploads under a Prefix only when it is a whole key, so the bucket's are listed and filtered.
    const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker, UploadIdMarker }));
    for (const u of out.Uploads ?? []) if (u.Key?.startsWith(prefix)) keys.push(u.Key.slice(prefix.length));
    KeyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
    UploadIdMarker = out.IsTruncated ? out.NextUploadIdMarker : undefined;
  } while (KeyMarker);
  return keys.sort();
}
