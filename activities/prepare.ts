import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { BaseVersion, ChangeCounts, FetchedSource } from "../src/contracts";
import { expandEnvReferences } from "../src/config/env-refs";
import type { DatasetDefinition } from "../src/definition";
import { runDelta } from "../src/engine/delta";
import type { BaseSource } from "../src/engine/delta-sql";
import { HASHING } from "../src/engine/hash-sql";
import { type NormalizedSource, normalizeToParquet } from "../src/engine/normalize/source";
import { ObjectCache, objectCacheBytesFromEnv } from "../src/engine/object-cache";
import type { EngineTask } from "../src/engine/task";
import type { Workspace } from "../src/engine/workspace";
import { count, overLimit } from "../src/formats/limits";
import { DatasetLayout, monthLabel } from "../src/layout";
import { openLedgerSource } from "../src/ledger/read-model-source";
import { isLedgerUri } from "../src/ledger/source-uri";
import { indexLayers, nextIndexEntries, type IndexEntry } from "../src/manifest/index-plan";
import { parentMonths } from "../src/manifest/projection-plan";
import type { VersionManifest } from "../src/manifest/schema";
import type { ObjectStore } from "../src/store/types";
import { type BadRow, describeBadRow } from "../src/normalize/errors";
import { checkFileSource, sourcePolicyFromEnv } from "../src/sources/allow";
import { fileValidator } from "../src/sources/file-validator";
import { type IngestLimits, ingestLimitsFromEnv, LIMIT_VARS } from "../src/sources/limits";
import { openSource, openSourceIfChanged, redactUri } from "../src/sources/open";
import { revalidationEtag } from "../src/sources/validator";
import { hashFile } from "../src/sources/hash-file";
import { isPushUri } from "../src/intake/inbox-source";
import { stageInbox } from "../src/intake/inbox-stage";
import { readManifest, recordedSource } from "./base";
import type { ActivityDeps } from "./deps";
import { withEngine } from "./engine";
import { activityContext, heartbeater, withKeepAlive } from "./heartbeat";
import { IO_CONCURRENCY, mapLimited, SCRATCH } from "./io";

/** Input of `fetchSource`. */
export interface FetchSourceInput {
  dataset: string;
  version: string;
  uri: string;
  /**
   * The current version's source sha256: a local file with this hash is not copied at all, nor an
   * `https://`/`s3://` source whose origin confirms the strong ETag the base manifest recorded with this
   * hash (a 304 to `If-None-Match`, see {@link revalidationEtag}); the run ends "unchanged".
   */
  unchangedIf?: string;
  /** The base version's manifest (push datasets: its `source.fragments` are consumed and never applied again; others: its recorded source). */
  baseManifest?: string;
}

/** Where a fetch puts the source's bytes: the run's `source` object, or a file in the worker's workspace. */
type SourceSink = (stream: Readable) => Promise<unknown>;

/**
 * Streams the source (or a push dataset's inbox, or a ledger read model) into `sink`, computing its
 * sha256 on the way; a `file://` source whose hash is `unchangedIf` and a remote one whose origin
 * confirms the recorded ETag are not copied at all.
 */
async function fetchInto(deps: ActivityDeps, input: FetchSourceInput, sink: SourceSink, signal: AbortSignal | undefined, note: (details: unknown) => void): Promise<Omit<FetchedSource, "key">> {
  const { dataset, uri, unchangedIf, baseManifest } = input;
  const sources = { ...deps.sources, policy: deps.sources?.policy ?? sourcePolicyFromEnv(deps.env ?? process.env, { datasetsDir: deps.datasetsDir, storeUrl: deps.store.url }) };
  const maxBytes = ingestLimitsFromEnv(deps.env ?? process.env).sourceBytes;
  const resolved = expandEnvReferences(uri, deps.env ?? process.env, { required: true, where: `Source ${redactUri(uri)} of ${dataset}` });
  const localPath = resolved.startsWith("file://") ? await checkFileSource(redactUri(resolved), fileURLToPath(resolved), sources.policy) : null;
  if (unchangedIf && localPath) {
    const local = await hashFile(localPath, maxBytes, signal).catch(() => null);
    if (local?.sha256 === unchangedIf) return { uri: redactUri(uri), bytes: local.bytes, sha256: local.sha256, etag: null };
  }
  if (isPushUri(resolved)) {
    const layout = new DatasetLayout(dataset);
    return stageInbox(deps.store, dataset, resolved, baseManifest, sink, signal, {
      planKey: layout.key(layout.runs(input.version) + SCRATCH.fragments),
      onLeftovers: (n) => activityContext()?.log.info("deleted fragments the base version consumed", { dataset, fragments: n }),
    });
  }
  const recorded = unchangedIf && baseManifest && /^(https?|s3):/.test(resolved) ? await recordedSource(deps, dataset, baseManifest) : null;
  const etag = revalidationEtag(uri, resolved, recorded, unchangedIf);
  const opening = { ...sources, signal, attempt: activityContext()?.info.attempt };
  const validator = localPath ? await localValidator(localPath) : null;
  const opened = isLedgerUri(resolved) ? await openLedgerSource(deps.store, resolved, signal) : etag !== null ? await openSourceIfChanged(resolved, etag, opening) : await openSource(resolved, opening);
  if (opened === null && recorded) return { uri: redactUri(uri), bytes: recorded.bytes, sha256: recorded.sha256, etag };
  if (opened === null) throw new Error(`Source ${redactUri(uri)} answered "not modified" to a request without a recorded version`);
  const tooBig = (what: string) => overLimit(`Source ${redactUri(uri)}`, what, LIMIT_VARS.sourceBytes);
  if (opened.size !== null && opened.size > maxBytes) {
    opened.stream.destroy();
    throw tooBig(`is ${count(opened.size)} bytes (at most ${count(maxBytes)})`);
  }
  const hash = createHash("sha256");
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(tooBig(`is more than ${count(maxBytes)} bytes`));
      hash.update(chunk);
      note({ bytes });
      done(null, chunk);
    },
  });
  opened.stream.on("error", (err) => meter.destroy(err));
  meter.on("error", () => opened.stream.destroy());
  signal?.addEventListener("abort", () => opened.stream.destroy(new Error("fetch cancelled")), { once: true });
  await sink(opened.stream.pipe(meter));
  return { uri: redactUri(uri), bytes, sha256: hash.digest("hex"), etag: validator ?? opened.etag };
}

/** The validator of a local source, stat'ed before it is read (recorded as its etag, so the quick check can confirm it unchanged without hashing); null when it cannot be stat'ed (the open then says why). */
async function localValidator(path: string): Promise<string | null> {
  const before = Date.now();
  return stat(path, { bigint: true }).then((st) => fileValidator(st, before), () => null);
}

/** A source fetched by the separate `fetchSource` activity: staged at `key`, `runs/<version>/source`. */
export type StagedSource = FetchedSource & { key: string };

/** Step 1 as its own activity (runs recorded before `prepare`): streams the source to `runs/<version>/source`, computing its sha256 on the way. */
export function fetchSourceActivities(deps: ActivityDeps) {
  return {
    fetchSource: (input: FetchSourceInput): Promise<StagedSource> =>
      withKeepAlive(async (signal, note) => {
        const layout = new DatasetLayout(input.dataset);
        const key = layout.key(`${layout.runs(input.version)}source`);
        const fetched = await fetchInto(deps, input, (stream) => deps.store.putStream(key, stream, { kind: "overwrite" }), signal, note);
        return { ...fetched, key };
      }),
  };
}

/** Result of `normalize`. */
export interface NormalizeSummary {
  rows: number;
  /** Bad rows dropped under `on_bad_rows: quarantine`, and the scratch report listing them. */
  quarantined?: { rows: number; report: string };
  /** Which reader normalized the source: DuckDB (CSV it reads exactly like Tidemark's reader) or Tidemark's own. */
  engine?: "duckdb" | "js";
}

/** {@link normalizeToParquet} in an activity: its fallback logged, its progress heartbeated. */
function normalizeLocal(task: EngineTask, dataset: string, definition: DatasetDefinition, source: Omit<FetchedSource, "key">, sourcePath: string, outPath: string, limits: IngestLimits): Promise<NormalizedSource> {
  const beat = heartbeater();
  const onFallback = (reason: string) => activityContext()?.log.info("normalizing with Tidemark's reader", { dataset, reason });
  return normalizeToParquet(task.connection, { definition, source, sourcePath, outPath, limits, onFallback, onProgress: (n) => beat({ rows: n }) });
}

/** Step 2 as its own activity (runs recorded before `prepare`): the staged source into `runs/<version>/normalized.parquet`. */
export function normalizeActivities(deps: ActivityDeps) {
  return {
    async normalize({ dataset, version, definition, source }: { dataset: string; version: string; definition: DatasetDefinition; source: FetchedSource }): Promise<NormalizeSummary> {
      const layout = new DatasetLayout(dataset);
      if (source.key === undefined) throw new Error(`normalize needs the source staged by fetchSource; ${source.uri} was not staged in the store.`);
      const staged = source.key;
      const limits = ingestLimitsFromEnv(deps.env ?? process.env);
      const { rows, badRows, badRowCount, engine } = await withEngine(
        deps,
        1,
        async (task, workspace) => {
          const outPath = workspace.path("normalized.parquet");
          return { ...(await normalizeLocal(task, dataset, definition, source, await workspace.local(staged), outPath, limits)), outPath };
        },
        async (r, workspace) => {
          await workspace.uploadScratch(r.outPath, layout.key(layout.runs(version) + SCRATCH.normalized));
          return r;
        },
      );
      return summarize(deps, layout, version, { rows, badRows, badRowCount, engine });
    },
  };
}

/** The summary of a normalize, writing the quarantine report of its bad rows (when there are any) under the run's scratch. */
async function summarize(deps: ActivityDeps, layout: DatasetLayout, version: string, r: NormalizedSource): Promise<NormalizeSummary> {
  if (r.badRows.length === 0) return { rows: r.rows, engine: r.engine };
  return { rows: r.rows, engine: r.engine, quarantined: await writeQuarantine(deps, layout, version, r.badRows, r.badRowCount) };
}

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
 * Where the base index comes from: the parent's index files (base files, then delta layers) when the
 * engine's hashing wrote them, else (a store written before it) the parent's first projection, whose
 * rows are rehashed.
 */
async function baseSource(parent: VersionManifest | null, definition: DatasetDefinition, workspace: Workspace, layout: DatasetLayout, store: ObjectStore): Promise<BaseSource> {
  if (!parent) return { kind: "none" };
  if (parent.index.length > 0 && parent.index.every((f) => f.hashing === HASHING)) {
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
async function deltaLocal(deps: ActivityDeps, task: EngineTask, workspace: Workspace, args: { dataset: string; definition: DatasetDefinition; base: BaseVersion | null; parent: VersionManifest | null; normalized: string }) {
  const layout = new DatasetLayout(args.dataset);
  const out: DeltaFiles = { index: workspace.path("index.parquet"), changes: workspace.path("changes.parquet"), removals: workspace.path("removals.parquet") };
  const outcome = await runDelta(task, {
    dataset: args.dataset, definition: args.definition, out, normalized: args.normalized,
    base: await baseSource(args.parent, args.definition, workspace, layout, deps.store),
    baseRows: args.base?.rowsTotal ?? 0,
  });
  return { outcome, out };
}

/** Uploads a delta's files (the index create-only under the version, changes and removals to the run's scratch for `write`) and summarizes it. */
async function uploadDelta(workspace: Workspace, layout: DatasetLayout, version: string, scratch: string, parent: VersionManifest | null, { outcome, out }: Awaited<ReturnType<typeof deltaLocal>>): Promise<DeltaSummary> {
  const { write, rows } = outcome.index;
  let written: DeltaSummary["index"][number] | null = null;
  if (write.kind !== "carry") {
    const path = write.kind === "full" ? layout.index(version) : layout.indexDelta(version);
    written = { path, rows, bytes: await workspace.uploadOnce(out.index, layout.key(path)), hashing: HASHING };
  }
  await Promise.all([workspace.uploadScratch(out.changes, layout.key(scratch + SCRATCH.changes)), workspace.uploadScratch(out.removals, layout.key(scratch + SCRATCH.removals))]);
  const { inserted, updated, deleted, unchanged, rowsTotal } = outcome;
  return { counts: { inserted, updated, deleted, unchanged, rowsTotal }, months: outcome.months.map(monthLabel), index: nextIndexEntries(parent?.index ?? [], write, written) };
}

/** Step 3 as its own activity (runs recorded before `prepare`): `runs/<scratch>/normalized.parquet` against the base index → the version's index file, changes and removals. */
export function computeDeltaActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async computeDelta({ dataset, version, definition, base, scratch: run }: { dataset: string; version: string; definition: DatasetDefinition; base: BaseVersion | null; scratch?: string }): Promise<DeltaSummary> {
      const layout = new DatasetLayout(dataset);
      const scratch = layout.runs(run ?? version);
      const parent = base ? await readManifest(store, dataset, base.manifest) : null;
      return withEngine(
        deps,
        1,
        async (task, workspace) => deltaLocal(deps, task, workspace, { dataset, definition, base, parent, normalized: await workspace.local(layout.key(scratch + SCRATCH.normalized)) }),
        (delta, workspace) => uploadDelta(workspace, layout, version, scratch, parent, delta),
      );
    },
  };
}

/** Input of `prepare`. */
export interface PrepareInput {
  dataset: string;
  /** The version the plan publishes (its index is written under it). */
  version: string;
  /** The run's first version id: its scratch lives under `runs/<scratch>/`. */
  scratch: string;
  uri: string;
  definition: DatasetDefinition;
  base: BaseVersion | null;
  /** The current version's source sha256: a source with this hash ends the run "unchanged". */
  unchangedIf?: string;
}

/** Result of `prepare`: the staged source, and unless it is unchanged, the normalized rows' summary and the delta. */
export type PrepareResult =
  | { status: "unchanged"; source: FetchedSource }
  | { status: "planned"; source: FetchedSource; normalized: NormalizeSummary; delta: DeltaSummary };

/**
 * Steps 1–3 (fetch, normalize, delta) as one activity: the source and its normalized rows stay in
 * the worker's workspace (never staged in the store: a retry starts again from the fetch), and only
 * the delta's files are handed to `write` through the run's scratch (SPEC §3 "no rows in payloads").
 */
export function prepareActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    ...fetchSourceActivities(deps),
    ...normalizeActivities(deps),
    ...computeDeltaActivities(deps),
    async prepare(input: PrepareInput): Promise<PrepareResult> {
      const { dataset, version, scratch, definition, base } = input;
      const layout = new DatasetLayout(dataset);
      const limits = ingestLimitsFromEnv(deps.env ?? process.env);
      const fetchInput = { dataset, version: scratch, uri: input.uri, unchangedIf: input.unchangedIf, baseManifest: base?.manifest };
      const done = await withEngine(
        deps,
        1,
        async (_task, workspace, inTask) => {
          const sourcePath = workspace.path("source");
          const source = await withKeepAlive((signal, note) => fetchInto(deps, fetchInput, (stream) => pipeline(stream, createWriteStream(sourcePath)), signal, note));
          if ((input.unchangedIf !== undefined && source.sha256 === input.unchangedIf) || source.fragments?.length === 0) return { source, planned: null };
          const normalized = workspace.path("normalized.parquet");
          const rows = await inTask((task) => normalizeLocal(task, dataset, definition, source, sourcePath, normalized, limits));
          await rm(sourcePath, { force: true });
          const parent = base ? await readManifest(store, dataset, base.manifest) : null;
          const delta = await inTask((task) => deltaLocal(deps, task, workspace, { dataset, definition, base, parent, normalized }));
          return { source, planned: { rows, parent, delta } };
        },
        async ({ source, planned }, workspace) => {
          if (!planned) return { source, planned: null };
          const delta = await uploadDelta(workspace, layout, version, layout.runs(scratch), planned.parent, planned.delta);
          return { source, planned: { delta, normalized: await summarize(deps, layout, scratch, planned.rows) } };
        },
      );
      if (!done.planned) return { status: "unchanged", source: done.source };
      return { status: "planned", source: done.source, normalized: done.planned.normalized, delta: done.planned.delta };
    },
  };
}
