/**
 * One-line texts that label runs and their steps in the Temporal UI (workflow summary, activity
 * summaries, current details). Pure and deterministic: workflows import it.
 */
import type { ChangeCounts, IngestResult } from "./contracts";

/** An integer with thousands separators: `1,000,000`. */
export function formatCount(value: number): string {
  const sign = value < 0 ? "-" : "";
  const digits = String(Math.trunc(Math.abs(value)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A byte size in B, KB, MB or GB (powers of 1000, one decimal). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Changes as `+inserted ~updated -deleted`. */
export function formatChanges(counts: Pick<ChangeCounts, "inserted" | "updated" | "deleted">): string {
  return `+${formatCount(counts.inserted)} ~${formatCount(counts.updated)} -${formatCount(counts.deleted)}`;
}

/** A URI without userinfo, query or fragment, safe to show in a summary. */
export function displayUri(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1").replace(/[?#].*$/, "");
}

/** Static summary of an ingest run, set by whoever starts it (CLI, schedule). */
export function ingestRunSummary(dataset: string, options: { source?: string; dryRun?: boolean; trigger?: string } = {}): string {
  const parts = [`ingest ${dataset}`];
  if (options.source) parts.push(`from ${displayUri(options.source)}`);
  if (options.dryRun) parts.push("(dry run)");
  if (options.trigger) parts.push(`· ${options.trigger}`);
  return parts.join(" ");
}

/**
 * The memo an ingest run leaves on its execution when it ends (a null `parentVersion`, a dataset's
 * first version, removes that key from the memo: Temporal drops null memo fields).
 */
export interface IngestMemo {
  status: IngestResult["status"] | "failed" | "cancelled";
  version: string;
  parentVersion: string | null;
  counts: Pick<ChangeCounts, "inserted" | "updated" | "deleted" | "unchanged">;
  rowsTotal: number;
}

/** The memo of a finished ingest result. */
export function ingestMemo(result: IngestResult): IngestMemo {
  const { inserted, updated, deleted, unchanged, rowsTotal } = result.counts;
  return { status: result.status, version: result.version, parentVersion: result.parentVersion, counts: { inserted, updated, deleted, unchanged }, rowsTotal };
}

/** One-line outcome of a finished ingest, for the run's current details. */
export function outcomeLine(result: IngestResult): string {
  switch (result.status) {
    case "published":
      return `published ${result.version}: ${formatChanges(result.counts)}, ${formatCount(result.counts.rowsTotal)} rows${result.setAside ? `; ${result.setAside.message}` : ""}`;
    case "unchanged":
      return `source unchanged since ${result.parentVersion}: nothing written`;
    case "no-changes":
      return `no changes against ${result.parentVersion ?? "an empty dataset"}: nothing written`;
    case "dry-run":
      return `dry run: would publish ${formatChanges(result.counts)}, ${formatCount(result.counts.rowsTotal)} rows`;
    case "handed-over":
      return `a compaction was running (${result.runId}): asked it to compact again`;
  }
}
