/**
 * Payloads and pure helpers of the maintenance workflows (SPEC §5): `verifyDataset` and
 * `collectGarbage`. Pure, so workflows import it.
 */

/**
 * Start-to-close timeout (ms) of every publish activity (`publish`, `publishOptimized`,
 * `publishRepair`: the workflows' quick steps). An attempt refuses its CAS past this less 30 s from its
 * start, so a publish attempt left running by a terminated run can land until this long after the end.
 */
export const PUBLISH_ATTEMPT_MS = 120_000;

/** How long after a writer's run was terminated or timed out gc refuses: a publish attempt's timeout plus a minute for the clock skew between gc's worker and the server. */
export const ENDED_WRITER_WINDOW_MS = PUBLISH_ATTEMPT_MS + 60_000;

/** Whether a run of a writer closed with `status` at `closedAtMs` may still have a publish attempt that can land at `nowMs`: terminated or timed out less than {@link ENDED_WRITER_WINDOW_MS} ago. */
export function publishMayStillLand(status: string, closedAtMs: number | undefined, nowMs: number): boolean {
  return (status === "TERMINATED" || status === "TIMED_OUT") && closedAtMs !== undefined && nowMs - closedAtMs < ENDED_WRITER_WINDOW_MS;
}

/** The activity types that CAS a dataset's pointer. */
export const PUBLISH_ACTIVITIES: readonly string[] = ["publish", "publishOptimized", "publishRepair"];

/** An activity event of a run's history, reduced: a scheduled activity (event id, type) or the close of one (its scheduled event id). */
export type ActivityEvent = { scheduled: { id: string; type: string } } | { closed: string };

/** Whether a run's history (reduced to {@link ActivityEvent}s) has a publish activity scheduled and never closed. */
export function publishInFlight(events: readonly ActivityEvent[]): boolean {
  const open = new Set<string>();
  for (const e of events) {
    if ("scheduled" in e) {
      if (PUBLISH_ACTIVITIES.includes(e.scheduled.type)) open.add(e.scheduled.id);
    } else open.delete(e.closed);
  }
  return open.size > 0;
}

/** One problem `verify` found: which check, which object (relative to the dataset root), one sentence. */
export interface Finding {
  check: "pointer" | "manifest" | "chain" | "events" | "index" | "projection" | "quarantine" | "totals";
  object: string;
  problem: string;
}

/** Checks whose findings a repair can fix by rebuilding from the events. */
export const DERIVABLE_CHECKS: readonly Finding["check"][] = ["index", "projection", "totals"];

/** Whether every finding concerns an object derivable from the events. */
export function allDerivable(findings: Finding[]): boolean {
  return findings.every((f) => DERIVABLE_CHECKS.includes(f.check));
}

/** Input of `verifyDataset`. Startable as `temporal workflow start --type verifyDataset --input '{"dataset":"x"}'`. */
export interface VerifyInput {
  dataset: string;
  repair?: boolean;
}

/** What a repair did: published a new version, or why it did not. */
export type RepairOutcome = { status: "published"; version: string } | { status: "skipped" | "conflict"; reason: string };

/** Result of `verifyDataset`. */
export interface VerifyResult {
  dataset: string;
  /** The version verified (null when there is no readable pointer). */
  version: string | null;
  findings: Finding[];
  repair?: RepairOutcome;
  /** Findings left after the repair (equal to `findings` when nothing was repaired). */
  remaining: Finding[];
}

/** Input of `collectGarbage`: `olderThan` in milliseconds or a duration such as "1h" or "30m". */
export interface GcInput {
  dataset: string;
  olderThan?: number | string;
  dryRun?: boolean;
}

/** Result of `collectGarbage`. */
export interface GcResult {
  dataset: string;
  dryRun: boolean;
  olderThanMs: number;
  /** Objects listed under the dataset. */
  scanned: number;
  /** Objects referenced by a version reachable from the pointer (or the pointer itself). */
  referenced: number;
  /** Unreferenced objects kept because they are younger than `olderThan`. */
  young: number;
  /** Unreferenced objects deleted (or, in a dry run, that would be). */
  deleted: number;
  bytes: number;
  /** Keys deleted, relative to the dataset root, at most {@link GC_KEYS_CAP}. */
  keys: string[];
  truncated: boolean;
  /**
   * Leftovers of writes that never finished (a worker killed mid-write; fs temporary files that
   * listings hide) older than `olderThan`, deleted (or, in a dry run, that would be). Not in `deleted`.
   */
  abandoned: { files: number; bytes: number };
}

/** A gc result that found nothing yet. */
export function emptyGcResult(dataset: string, olderThanMs: number, dryRun: boolean): GcResult {
  return { dataset, dryRun, olderThanMs, scanned: 0, referenced: 0, young: 0, deleted: 0, bytes: 0, keys: [], truncated: false, abandoned: { files: 0, bytes: 0 } };
}

/** How many deleted keys a gc result lists. */
export const GC_KEYS_CAP = 200;

/** Default age below which gc never deletes anything. */
export const DEFAULT_GC_AGE = "1h";

/** Workflow id of the verify run the CLI starts. */
export function verifyWorkflowId(dataset: string): string {
  return `tidemark/verify/${dataset}`;
}

/** Workflow id of the gc run the CLI starts. */
export function gcWorkflowId(dataset: string): string {
  return `tidemark/gc/${dataset}`;
}

/**
 * The time before which gc may delete an unreferenced object: `olderThanMs` before `storeNowMs`, the
 * last-modified time the store gave a probe written when gc started. Being the store's own time at
 * the store's own precision (whole seconds on AWS S3), no object written after the probe shows an
 * earlier time. Pure.
 */
export function gcCutoff(storeNowMs: number, olderThanMs: number): number {
  return storeNowMs - olderThanMs;
}

/** Whether an object last modified at `lastModifiedMs` is too young for gc at `cutoff` ({@link gcCutoff}): modified at or after it. Pure. */
export function tooYoungForGc(lastModifiedMs: number, cutoff: number): boolean {
  return lastModifiedMs >= cutoff;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses an age: a non-negative number of milliseconds, digits, or a duration like "90s", "1h30m", "7d"; undefined when malformed. */
export function parseAge(value: number | string | undefined): number | undefined {
  if (value === undefined) return parseAge(DEFAULT_GC_AGE);
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return parseAge(Number(text));
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(n) * UNIT_MS[unit];
  return Number.isSafeInteger(total) ? total : undefined;
}
