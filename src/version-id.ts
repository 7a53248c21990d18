/**
 * Version identifiers (SPEC §2): UTC start time of the run to the millisecond plus a short hash of
 * the run id, e.g. `20261122T103000123Z-3f9c2a1b`. Pure and deterministic, so workflows compute it.
 */

const VERSION_RE = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;

function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The version id of a run started at `startedAt` with Temporal run id `runId`. */
export function makeVersionId(startedAt: Date, runId: string): string {
  const iso = startedAt.toISOString();
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}Z`;
  return `${stamp}-${fnv1a32(runId).toString(16).padStart(8, "0")}`;
}

/** Whether `value` is a well-formed version id. */
export function isVersionId(value: string): boolean {
  return VERSION_RE.test(value);
}

/** Start time encoded in a version id, or undefined when `version` is not one of ours. */
export function versionTime(version: string): Date | undefined {
  if (!isVersionId(version)) return undefined;
  const t = Date.UTC(+version.slice(0, 4), +version.slice(4, 6) - 1, +version.slice(6, 8), +version.slice(9, 11), +version.slice(11, 13), +version.slice(13, 15), +version.slice(15, 18));
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** What {@link planVersion} decides from. */
export interface VersionPlan {
  /** The run's own version id (`makeVersionId(runStartTime, runId)`): its first plan and its scratch. */
  runVersion: string;
  runId: string;
  /** The version this plan builds on, null for a first version. */
  parent: string | null;
  /** 1 for the first plan, then one more per re-plan after a lost CAS. */
  attempt: number;
  /** Workflow time of the plan. */
  now: Date;
}

/**
 * The version id a plan publishes under (SPEC §2): the run's own id for its first plan when that
 * sorts after the parent; otherwise (a re-plan after a lost CAS, or a parent that sorts later) a new
 * id that sorts after the parent and differs from every earlier plan of the run, so no key is ever
 * written twice with different bytes.
 */
export function planVersion({ runVersion, runId, parent, attempt, now }: VersionPlan): string {
  if (attempt === 1 && (parent === null || runVersion > parent)) return runVersion;
  const parentTime = parent === null ? undefined : versionTime(parent);
  const at = parentTime && parentTime.getTime() >= now.getTime() ? new Date(parentTime.getTime() + 1) : now;
  return makeVersionId(at, `${runId}#${attempt}`);
}
