import { fileURLToPath } from "node:url";
import { type Granularity, partitionGranularity } from "../definition/partition";
import { BrokenChainError, NotFoundError, TidemarkError } from "../errors";
import { DatasetLayout, parseMonthLabel } from "../layout";
import { monthFiles } from "../manifest/month-files";
import { eventFileMonths, type Pointer, type VersionManifest } from "../manifest/schema";
import type { ObjectStore } from "../store/types";
import { isVersionId } from "../version-id";
import { UsageError } from "./output";

/** The store reads of manifests, loaded when a command first reads the store. */
const manifestReads = () => import("../manifest/read.js");

/** The dataset has no published version. */
export class NotPublishedError extends TidemarkError {}

/** A requested version does not exist. */
export class VersionNotFoundError extends TidemarkError {}

export { BrokenChainError };

/** A version of a dataset as a reader sees it: its manifest, and the pointer when it is the current one. */
export interface VersionView {
  dataset: string;
  manifest: VersionManifest;
  pointer: Pointer | null;
  isCurrent: boolean;
}

/** The pointer of `dataset`, or a clear error when it was never published. */
export async function requirePointer(store: ObjectStore, dataset: string): Promise<Pointer> {
  const current = await (await manifestReads()).readPointer(store, dataset);
  if (!current) {
    throw new NotPublishedError(`Dataset ${dataset} has no published version in ${store.url}; ingest it with "tidemark ingest ${dataset}" or check TIDEMARK_STORE.`);
  }
  return current.pointer;
}

/** Checks a `--version` argument before it becomes part of an object key. */
export function checkVersionArg(version: string): string {
  if (!isVersionId(version)) {
    throw new UsageError(`--version ${JSON.stringify(version)} is not a version id like 20261122T103000123Z-3f9c2a1b; list them with "tidemark versions <dataset>".`);
  }
  return version;
}

/**
 * Reads the manifest of `version`, or of the current version when omitted. A version is found only on
 * the chain from the pointer: a manifest a run wrote but never published (its CAS lost, or the run
 * terminated before it) is refused with {@link VersionNotFoundError}, never read as a version.
 */
export async function loadVersion(store: ObjectStore, dataset: string, version?: string): Promise<VersionView> {
  const pointer = await requirePointer(store, dataset);
  if (version === undefined || version === pointer.current_version) {
    return { dataset, manifest: await (await manifestReads()).readManifest(store, dataset, pointer.manifest), pointer, isCurrent: true };
  }
  checkVersionArg(version);
  for await (const manifest of versionChain(store, dataset)) {
    if (manifest.version === version) return { dataset, manifest, pointer, isCurrent: false };
  }
  throw new VersionNotFoundError(
    `Version ${version} is not a published version of ${dataset}: no version on its chain from ${pointer.current_version} has that id (a run that never published may have left its manifest until gc removes it); list its versions with "tidemark versions ${dataset}".`,
  );
}

/** Walks the version chain from the current version through `parent_version`, newest first. */
export async function* versionChain(store: ObjectStore, dataset: string): AsyncGenerator<VersionManifest> {
  const pointer = await requirePointer(store, dataset);
  const layout = new DatasetLayout(dataset);
  let path: string | null = pointer.manifest;
  let child: string | null = null;
  const seen = new Set<string>();
  while (path) {
    let manifest: VersionManifest;
    try {
      manifest = await (await manifestReads()).readManifest(store, dataset, path);
    } catch (err) {
      if (!(err instanceof NotFoundError) || child === null) throw err;
      throw new BrokenChainError(`The version chain of ${dataset} is broken: ${child} names parent ${path} which does not exist; run "tidemark verify ${dataset}".`);
    }
    if (seen.has(manifest.version)) {
      throw new BrokenChainError(`The version chain of ${dataset} loops at ${manifest.version}; run "tidemark verify ${dataset}".`);
    }
    seen.add(manifest.version);
    yield manifest;
    child = manifest.version;
    path = manifest.parent_version ? layout.versionManifest(manifest.parent_version) : null;
  }
}

/** One file of a version, with the URI a query engine opens it by. */
export interface VersionFile {
  kind: "projection" | "events";
  /** The file's partition, or `first..last` for a version's single event file holding several. */
  month: string;
  path: string;
  uri: string;
  rows: number;
  bytes?: number;
}

/** Where the store keeps `key`, as DuckDB and pyarrow name it: an absolute path for file:// stores, the s3:// URI otherwise. */
export function objectUri(store: ObjectStore, key: string): string {
  if (store.url.startsWith("file://")) return `${fileURLToPath(store.url).replace(/\/+$/, "")}/${key}`;
  return `${store.url.replace(/\/+$/, "")}/${key}`;
}

/** The projection name to read: the requested one, `latest`, or the manifest's only one. */
export function pickProjection(manifest: VersionManifest, requested?: string): string {
  const names = Object.keys(manifest.projections);
  if (requested !== undefined) {
    if (!names.includes(requested)) {
      throw new UsageError(`Version ${manifest.version} has no projection ${JSON.stringify(requested)}; it has ${names.join(", ") || "none"}.`);
    }
    return requested;
  }
  if (names.includes("latest") || names.length === 0) return "latest";
  return names[0];
}

/** Checks a `--month` argument: a partition label `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. */
export function checkMonthArg(month: string): string {
  if (parseMonthLabel(month) === undefined) throw new UsageError(`--month ${JSON.stringify(month)} is not a month; use YYYY-MM, e.g. 2025-01 (or YYYY, or YYYY-MM-DD for a dataset partitioned by day).`);
  return month;
}

/** Whether partition `label` lies within `--month` (the same partition, or a finer one inside it, e.g. 2025-01-15 in 2025-01). */
function inMonth(label: string, month?: string): boolean {
  return month === undefined || label === month || label.startsWith(`${month}-`);
}

const GRAIN_RANK: Record<Granularity, number> = { year: 0, month: 1, day: 2 };

/**
 * Checks that a `--month` label is no finer than the version's partitions: a day of a monthly
 * dataset (or a month of a yearly one) would match no partition and select nothing, silently.
 */
export function checkMonthGrain(view: VersionView, month?: string): void {
  if (month === undefined) return;
  const grain = partitionGranularity(view.manifest.schema.partition_by);
  const asked: Granularity = month.length === 4 ? "year" : month.length === 7 ? "month" : "day";
  if (GRAIN_RANK[asked] <= GRAIN_RANK[grain]) return;
  const coarser = grain === "year" ? "a year" : "a year or month";
  throw new UsageError(`${view.dataset} is partitioned by ${grain}, so --month ${month} (a ${asked}) matches no partition; give ${coarser} instead, e.g. --month ${month.slice(0, grain === "year" ? 4 : 7)}.`);
}

/** Projection files of a version (every part of every month), oldest month first, optionally one month only (see {@link checkMonthGrain}). */
export function projectionFiles(store: ObjectStore, view: VersionView, projection: string, month?: string): VersionFile[] {
  checkMonthGrain(view, month);
  const layout = new DatasetLayout(view.dataset);
  const months = view.manifest.projections[projection] ?? {};
  return Object.keys(months)
    .filter((m) => inMonth(m, month))
    .sort()
    .flatMap((m) => monthFiles(months[m]).map((f) => ({ kind: "projection" as const, month: m, path: f.path, uri: objectUri(store, layout.key(f.path)), rows: f.rows, bytes: f.bytes })));
}

/** Event files written by a version (its change events only), oldest month first. */
export function eventFiles(store: ObjectStore, view: VersionView, month?: string): VersionFile[] {
  const layout = new DatasetLayout(view.dataset);
  const spanned = (labels: string[]) => (labels.length === 1 ? labels[0] : `${labels[0]}..${labels[labels.length - 1]}`);
  return view.manifest.events
    .map((e) => ({ e, months: eventFileMonths(e) }))
    .filter(({ months }) => months.some((m) => inMonth(m, month)))
    .sort((a, b) => (a.months[0] === b.months[0] ? a.e.path.localeCompare(b.e.path) : a.months[0].localeCompare(b.months[0])))
    .map(({ e, months }) => ({ kind: "events", month: spanned(months), path: e.path, uri: objectUri(store, layout.key(e.path)), rows: e.rows, bytes: e.bytes }));
}

function shellDoubleQuoted(text: string): string {
  return `"${text.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The S3 setup DuckDB needs for s3:// URIs (credential chain, plus a custom endpoint when one is configured). */
function duckdbS3Secret(env: NodeJS.ProcessEnv): string {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  const parts = ["TYPE s3", "PROVIDER credential_chain"];
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (region) parts.push(`REGION ${sqlString(region)}`);
  if (endpoint) {
    const url = new URL(endpoint);
    parts.push(`ENDPOINT ${sqlString(url.host)}`, "URL_STYLE 'path'");
    if (url.protocol === "http:") parts.push("USE_SSL false");
  }
  return `CREATE SECRET (${parts.join(", ")}); `;
}

/**
 * A shell command that reads `files` with the DuckDB CLI, as the version's columns only: without
 * `hive_partitioning = false` DuckDB adds the partition directories (`year=2024/month=01/`) as
 * columns, or puts their values in place of a dataset's own `year`, `month` or `day` column.
 */
export function duckdbCommand(files: VersionFile[], env: NodeJS.ProcessEnv = process.env): string {
  const list = files.map((f) => sqlString(f.uri)).join(", ");
  const setup = files.some((f) => f.uri.startsWith("s3://")) ? duckdbS3Secret(env) : "";
  return `duckdb -c ${shellDoubleQuoted(`${setup}SELECT * FROM read_parquet([${list}], hive_partitioning = false)`)}`;
}
