/**
 * A validator for local (`file://`) sources, recorded as the manifest's source `etag`: the file's
 * device, inode, size, mtime and ctime (ns) as stat'ed just before it was read, and when. An
 * unchanged run can then be confirmed from one `stat` instead of hashing the whole file again.
 *
 * Any write, truncate, rename over it, chmod or `touch` changes the ctime (which user space cannot
 * set back) or the inode, so a file whose stat still matches was not touched since it was read.
 * The exception is a change in the same clock tick as the recorded stat: a validator is trusted
 * only when the file's ctime was at least {@link RACY_MS} older than the stat (as git's index does
 * with "racily clean" entries); otherwise the file is hashed.
 */
import type { BigIntStats } from "node:fs";

const PREFIX = "file:";

/** A recorded stat is trusted only when the file had not changed for this long before it. */
export const RACY_MS = 2000;

/** The validator of a file stat'ed at `statMs` (ms since the epoch), e.g. `file:2049:131:46300000:1732...:1732...@1732...`. */
export function fileValidator(st: BigIntStats, statMs: number): string {
  return `${PREFIX}${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}@${Math.trunc(statMs)}`;
}

/** Whether `etag` is a file validator (not an HTTP or S3 ETag). */
export function isFileValidator(etag: string | null | undefined): etag is string {
  return typeof etag === "string" && etag.startsWith(PREFIX);
}

/** The fields of a stat that tell whether a file was touched. */
type FileState = Pick<BigIntStats, "dev" | "ino" | "size" | "mtimeNs" | "ctimeNs">;

/** Whether two stats of a path show the same file with the same size, mtime and ctime (nothing written, truncated or renamed over it between them). */
export function sameFileState(a: FileState, b: FileState): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/**
 * Whether `recorded` (a {@link fileValidator}) proves the file now stat'ed as `now` holds the bytes it
 * held then: the same device, inode, size, mtime and ctime, and the recorded stat taken at least
 * {@link RACY_MS} after the file's last change.
 */
export function unchangedSince(recorded: string, now: BigIntStats): boolean {
  const m = /^file:(\d+):(\d+):(\d+):(\d+):(\d+)@(\d+)$/.exec(recorded);
  if (!m) return false;
  const [dev, ino, size, mtimeNs, ctimeNs] = m.slice(1, 6).map(BigInt);
  if (Number(m[6]) - Number(ctimeNs / 1_000_000n) < RACY_MS) return false;
  return sameFileState({ dev, ino, size, mtimeNs, ctimeNs }, now);
}
