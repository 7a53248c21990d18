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
