/**
 * Payload types exchanged between workflows, activities and clients. Every payload carries object
 * keys and counts only — never rows (SPEC §3).
 */

import type { PartitionBy } from "./definition/partition";

/** Counts of a delta. */
export interface ChangeCounts {
  inserted: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Live rows after the change. */
  rowsTotal: number;
}

/** Input of `ingestDataset`. Startable as `temporal workflow start --type ingestDataset --input '{"dataset":"x"}'`. */
export interface IngestInput {
  dataset: string;
  /** Overrides the definition's source URI for this run. */
  source?: string;
  dryRun?: boolean;
  /** A validated definition (the CLI passes one when given a file); else the worker loads it by id. */
  definition?: unknown;
}

/** How an ingest ended. */
/** `handed-over`: a run started beside a push dataset's running compaction asked it for another one instead (SPEC §11). */
export type IngestStatus = "published" | "unchanged" | "no-changes" | "dry-run" | "handed-over";

/** Result of `ingestDataset`. */
export interface IngestResult {
  dataset: string;
  status: IngestStatus;
  /** The version this run published (or would have, for a dry run). */
  version: string;
  /** The version current before the run. */
  parentVersion: string | null;
  counts: ChangeCounts;
  /** Months touched, as YYYY-MM. */
  months: string[];
  /** Bad rows dropped under `on_bad_rows: quarantine`, and where the report is. */
  quarantined?: { rows: number; report: string };
  /** Push datasets: inbox fragments the version consumed without applying them, where their copies are, and the notice saying what to do. */
  setAside?: { fragments: number; prefix: string; message: string };
  /** Publish attempts (more than one when an outside writer won a CAS). */
  attempts: number;
  workflowId: string;
  runId: string;
}

/** Steps of an ingest, in order. */
export const INGEST_STEPS = ["starting", "prepare", "fetchSource", "normalize", "computeDelta", "write", "writeEvents", "consolidate", "publish", "notify", "compensating", "done", "failed"] as const;
/** One step of an ingest. */
export type IngestStep = (typeof INGEST_STEPS)[number];

/** Answer of the `progress` query. */
export interface IngestProgress {
  dataset: string;
  version: string;
  step: IngestStep;
  attempt: number;
  /** Rows read from the source so far (known after normalize). */
  rows: number;
  counts?: ChangeCounts;
  startedAt: string;
  message?: string;
}

/** What the pointer said when a run planned (SPEC §2: publish CASes against exactly this). */
export interface BaseVersion {
  version: string;
  etag: string;
  manifest: string;
  sourceSha256: string;
  /** The read fingerprint the version's rows were read with (absent for versions and payloads from before it was recorded). */
  readFingerprint?: string;
  rowsTotal: number;
  /** The published schema (absent in payloads recorded before it was added). */
  schema?: { columns: { name: string; type: string }[]; key: string[]; partition_by: PartitionBy };
  /** Projection names the version lists (absent in payloads recorded before it was added). */
  projections?: string[];
}

/** A fetched source: what it is, and (separate `fetchSource` activity only) its copy staged under `runs/<version>/`. */
export interface FetchedSource {
  /** The run's staged copy in the store; absent when `prepare` fetched it into the worker's workspace (or found it unchanged). */
  key?: string;
  uri: string;
  bytes: number;
  sha256: string;
  etag: string | null;
  /** Push datasets: the inbox fragments this compaction consumes, in id order (SPEC §11 `source.fragments`). */
  fragments?: string[];
  /** Push datasets: the consumed fragments DuckDB could not read, not applied (manifest `source.set_aside`). */
  setAside?: { fragment: string; reason: string }[];
}
