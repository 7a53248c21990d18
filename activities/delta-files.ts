/** Normalizing a fetched source and computing its delta in the worker's workspace, and handing the delta's files to `write` (helpers of the activity modules). */
import { join } from "node:path";
import type { BaseVersion, ChangeCounts, FetchedSource } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { runDelta } from "../src/engine/delta";
import type { BaseSource } from "../src/engine/delta-sql";
import { HASHING, hashesAlike } from "../src/engine/hash-sql";
import type { FragmentReader } from "../src/engine/normalize/fragment-triage";
import { type NormalizedSource, normalizeToParquet } from "../src/engine/normalize/source";
import { ObjectCache, objectCacheBytesFromEnv } from "../src/engine/object-cache";
import type { EngineTask } from "../src/engine/task";
import type { Workspace } from "../src/engine/workspace";
import { DatasetLayout, monthLabel } from "../src/layout";
import { indexLayers, nextIndexEntries, type IndexEntry } from "../src/manifest/index-plan";
import { parentMonths } from "../src/manifest/projection-plan";
import type { VersionManifest } from "../src/manifest/schema";
import type { ObjectStore } from "../src/store/types";
import { type BadRow, describeBadRow } from "../src/normalize/errors";
import { type IngestLimits } from "../src/sources/limits";
import type { ActivityDeps } from "./deps";
import { activityContext, heartbeater } from "./heartbeat";
import { IO_CONCURRENCY, mapLimited, SCRATCH } from "./io";

/** Result of `normalize`. */
export interface NormalizeSummary {
  rows: number;
  /** Bad rows dropped under `on_bad_rows: quarantine`, and the scratch report listing them. */
  quarantined?: { rows: number; report: string };
  /** Which reader normalized the source: DuckDB (CSV it reads exactly like Tidemark's reader) or Tidemark's own. */
  engine?: "duckdb" | "js";
}

/** {@link normalizeToParquet} in an activity: its fallback logged, its progress heartbeated; `readFragment` lets a compaction set aside fragments DuckDB cannot read. */
export function normalizeLocal(task: EngineTask, dataset: string, definition: DatasetDefinition, source: Omit<FetchedSource, "key">, sourcePath: string, outPath: string, limits: IngestLimits, readFragment?: FragmentReader): Promise<NormalizedSource> {
  const beat = heartbeater();
  const onFallback = (reason: string) => activityContext()?.log.info("normalizing with Tidemark's reader", { dataset, reason });
  const onFragmentChecked = (n: number) => beat({ fragmentsChecked: n });
  return normalizeToParquet(task.connection, { definition, source, sourcePath, outPath, limits, onFallback, onProgress: (n) => beat({ rows: n }), readFragment, onFragmentChecked });
}

/** The summary of a normalize, writing the quarantine report of its bad rows (when there are any) under the run's scratch. */
export async function summarize(deps: ActivityDeps, layout: DatasetLayout, version: string, r: NormalizedSource): Promise<NormalizeSummary> {
  if (r.badRows.length === 0) return { rows: r.rows, engine: r.engine };
  return { rows: r.rows, engine: r.engine, quarantined: await writeQuarantine(deps, layout, version, r.badRows, r.badRowCount) };
}

/** Writes the quarantine report of a normalize's bad rows under the run's scratch. */
async function writeQuarantine(deps: ActivityDeps, layout: DatasetLayout, version: string, badRows: BadRow[], badRowCount: number | undefined): Promise<{ rows: number; report: string }> {
  const report = layout.runs(version) + SCRATCH.quarantine;
  const lines = badRows.map((b) => JSON.stringify({ ...b, message: describeBadRow(b) })).join("\n");
  await deps.store.put(layout.key(report), `${lines}\n`, { kind: "overwrite" });
  return { rows: badRowCount ?? badRows.length, report };
}

/** Result of `computeDelta`: counts, touched months and the staged index. */
export interface DeltaSummary {
  counts: ChangeCounts;
  /** Months to write events for and consolidate, as YYYY-MM, ascending. */
  months: string[];
  /** The version's index: its complete index, or the parent's base and layers with its delta layer (SPEC §2). */
  index: IndexEntry[];
}

/**
 * Where the base index comes from: the parent's index files (base files, then delta layers) when
 * they hash this dataset's rows as the engine does ({@link hashesAlike}), else (a store written
 * before the engine, or a hash/2 index of a dataset with bool columns) the parent's first
 * projection, whose rows are rehashed.
 */
async function baseSource(parent: VersionManifest | null, definition: DatasetDefinition, workspace: Workspace, layout: DatasetLayout, store: ObjectStore): Promise<BaseSource> {
  if (!parent) return { kind: "none" };
  if (parent.index.length > 0 && parent.index.every((f) => hashesAlike(f.hashing, definition))) {
    const cache = new ObjectCache(store, join(workspace.tempDirectory, "cache"), objectCacheBytesFromEnv());
    let n = 0;
    const cached = (paths: string[]) => mapLimited(paths, IO_CONCURRENCY, (p) => cache.local(layout.key(p), workspace.path(`index-${++n}.parquet`)));
    const { base, deltas } = indexLayers(parent.index);
    return { kind: "index", files: await cached(base.map((f) => f.path)), deltas: await cached(deltas.map((f) => f.path)) };
  }
  const months = parentMonths(parent.projections, definition.projections[0].name);
  return { kind: "projection", files: await mapLimited(Object.values(months), IO_CONCURRENCY, (f) => workspace.local(layout.key(f.path))) };
}

/** The delta's local output files. */
interface DeltaFiles {
  index: string;
  changes: string;
  removals: string;
}

/** The normalized rows at `normalized` against the parent's index (DuckDB): the version's index file, changes and removals, in the workspace. */
export async function deltaLocal(
  deps: ActivityDeps,
  task: EngineTask,
  workspace: Workspace,
  args: { dataset: string; version: string; definition: DatasetDefinition; base: BaseVersion | null; parent: VersionManifest | null; normalized: string; quarantinedRows?: number },
) {
  const layout = new DatasetLayout(args.dataset);
  const out: DeltaFiles = { index: workspace.path("index.parquet"), changes: workspace.path("changes.parquet"), removals: workspace.path("removals.parquet") };
  const outcome = await runDelta(task, {
    dataset: args.dataset, version: args.version, definition: args.definition, out, normalized: args.normalized,
    base: await baseSource(args.parent, args.definition, workspace, layout, deps.store),
    baseRows: args.base?.rowsTotal ?? 0,
    quarantinedRows: args.quarantinedRows,
  });
  return { outcome, out };
}

/** Uploads a delta's files (the index create-only under the version, changes and removals to the run's scratch for `write`) and summarizes it. */
export async function uploadDelta(workspace: Workspace, layout: DatasetLayout, version: string, scratch: string, parent: VersionManifest | null, { outcome, out }: Awaited<ReturnType<typeof deltaLocal>>): Promise<DeltaSummary> {
  const { write, rows } = outcome.index;
  let written: DeltaSummary["index"][number] | null = null;
  if (write.kind !== "carry") {
    const path = write.kind === "full" ? layout.index(version) : layout.indexDelta(version);
    written = { path, rows, bytes: await workspace.uploadOnce(out.index, layout.key(path), { move: true }), hashing: HASHING };
  }
  await Promise.all([workspace.uploadScratch(out.changes, layout.key(scratch + SCRATCH.changes), { move: true }), workspace.uploadScratch(out.removals, layout.key(scratch + SCRATCH.removals), { move: true })]);
  const { inserted, updated, deleted, unchanged, rowsTotal } = outcome;
  return { counts: { inserted, updated, deleted, unchanged, rowsTotal }, months: outcome.months.map(monthLabel), index: nextIndexEntries(parent?.index ?? [], write, written) };
}
