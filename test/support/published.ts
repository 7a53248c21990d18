import { expect } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import type { IngestResult } from "../../src/contracts";
import type { ObjectStore } from "../../src/store/types";
import { keyOf, type SeriesRow } from "../workflows/ingest-fixtures";
import { readProjectionRows } from "../workflows/read-back";
import { openDuck, rows as duckRows } from "./duck";
import { monthFiles } from "../../src/manifest/month-files";

/** One event row as DuckDB reads it back. */
export interface EventRow extends SeriesRow {
  op: "insert" | "update" | "delete";
  version: string;
}

/** What {@link inspectPublished} found: the version chain newest first and every event row of each version. */
export interface PublishedState {
  chain: VersionManifest[];
  events: Map<string, EventRow[]>;
  /** Objects under the dataset that no version of the chain references. */
  unreferenced: string[];
  /** Referenced objects that are missing or whose size differs from the manifest. */
  broken: string[];
  /** Keys that appear more than once in one version's events. */
  duplicateEvents: string[];
}

/**
 * Walks pointer → manifest → parent manifests of a series dataset, checks every referenced object
 * exists with its recorded size, lists what nothing references, and reads every event file back
 * with DuckDB (an independent reader).
 */
export async function inspectPublished(store: ObjectStore, dataset: string): Promise<PublishedState> {
  const root = `datasets/${dataset}/`;
  const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
  const referenced = new Set<string>([`${root}current/manifest.json`]);
  const chain: VersionManifest[] = [];
  const broken: string[] = [];
  const eventFiles = new Map<string, string[]>();
  for (let v: string | null = pointer.current_version; v; ) {
    const path = `${root}events/${v}/manifest.json`;
    const manifest = parseVersionManifest((await store.get(path)).body);
    chain.push(manifest);
    referenced.add(path);
    const files: { path: string; bytes?: number }[] = [...manifest.events, ...manifest.index];
    for (const months of Object.values(manifest.projections)) files.push(...Object.values(months).flatMap(monthFiles));
    for (const f of files) {
      referenced.add(root + f.path);
      const size = await store.head(root + f.path).then((h) => h.size, () => -1);
      if (size < 0 || (f.bytes !== undefined && size !== f.bytes)) broken.push(`${root + f.path} (size ${size}, manifest ${f.bytes ?? "?"})`);
    }
    eventFiles.set(v, manifest.events.map((e) => root + e.path));
    v = manifest.parent_version;
  }
  const unreferenced: string[] = [];
  for await (const o of store.list(root)) if (!referenced.has(o.key)) unreferenced.push(o.key);
  const events = await readEvents(store, eventFiles);
  const duplicateEvents: string[] = [];
  for (const [version, rows] of events) {
    const seen = new Set<string>();
    for (const r of rows) {
      if (seen.has(keyOf(r))) duplicateEvents.push(`${version} ${keyOf(r)}`);
      seen.add(keyOf(r));
    }
  }
  return { chain, events, unreferenced, broken, duplicateEvents };
}

async function readEvents(store: ObjectStore, files: Map<string, string[]>): Promise<Map<string, EventRow[]>> {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-events-"));
  const duck = await openDuck();
  const out = new Map<string, EventRow[]>();
  try {
    let n = 0;
    for (const [version, keys] of files) {
      const locals: string[] = [];
      for (const key of keys) {
        const local = join(dir, `e${n++}.parquet`);
        writeFileSync(local, (await store.get(key)).body);
        locals.push(`'${local}'`);
      }
      if (locals.length === 0) {
        out.set(version, []);
        continue;
      }
      const got = await duckRows(
        duck.conn,
        `SELECT _op, _version, series_id, strftime(obs_date, '%Y-%m-%d') AS obs_date, value FROM read_parquet([${locals.join(",")}]) ORDER BY series_id, obs_date`,
      );
      out.set(
        version,
        got.map((r) => ({
          op: r._op as EventRow["op"],
          version: String(r._version),
          series_id: String(r.series_id),
          obs_date: String(r.obs_date),
          value: r.value === null ? null : Number(r.value),
        })),
      );
    }
  } finally {
    duck.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** Change counts from one state to the next, computed by the test itself. */
export function expectedChanges(before: Map<string, SeriesRow>, after: Map<string, SeriesRow>): { inserted: number; updated: number; deleted: number } {
  let inserted = 0;
  let updated = 0;
  let deleted = 0;
  for (const [k, r] of after) {
    const old = before.get(k);
    if (!old) inserted++;
    else if (old.value !== r.value) updated++;
  }
  for (const k of before.keys()) if (!after.has(k)) deleted++;
  return { inserted, updated, deleted };
}

/** Rows of a state map sorted like {@link readProjectionRows} returns them. */
export function sortedRows(state: Map<string, SeriesRow>): SeriesRow[] {
  return [...state.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

/**
 * Asserts that `result` published exactly one new version on top of `earlier` (oldest first): its
 * counts and events match the change from `before` to `after`, the projection equals `after` row by
 * row, every referenced object exists, nothing unreferenced is left and no key has two events in
 * one version.
 */
export async function expectPublishedExactly(
  store: ObjectStore,
  dataset: string,
  result: IngestResult,
  earlier: string[],
  before: Map<string, SeriesRow>,
  after: Map<string, SeriesRow>,
): Promise<void> {
  expect(result).toMatchObject({ status: "published", parentVersion: earlier.at(-1) ?? null, attempts: 1 });
  const changes = expectedChanges(before, after);
  expect(result.counts).toMatchObject({ ...changes, rowsTotal: after.size });
  expect(await readProjectionRows(store, dataset)).toEqual(sortedRows(after));
  const published = await inspectPublished(store, dataset);
  expect(published.chain.map((m) => m.version)).toEqual([result.version, ...earlier.slice().reverse()]);
  expect(published.broken).toEqual([]);
  expect(published.unreferenced).toEqual([]);
  expect(published.duplicateEvents).toEqual([]);
  const events = published.events.get(result.version)!;
  expect(events.filter((e) => e.op === "insert")).toHaveLength(changes.inserted);
  expect(events.filter((e) => e.op === "update")).toHaveLength(changes.updated);
  expect(events.filter((e) => e.op === "delete")).toHaveLength(changes.deleted);
  expect(events.every((e) => e.version === result.version)).toBe(true);
  for (const e of events) if (e.op !== "delete") expect({ series_id: e.series_id, obs_date: e.obs_date, value: e.value }).toEqual(after.get(keyOf(e)));
}
