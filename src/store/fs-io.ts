import { createHash } from "node:crypto";
import fs, { promises as fsp, type BigIntStats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import type { ObjectInfo } from "./types.js";

/** fsync of an open file descriptor on libuv's thread pool. */
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

/** The errno code of a Node.js filesystem error. */
export function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Etag of a file: a short hash of `(ino, size, mtimeNs, ctimeNs)`. */
export function etagOf(st: BigIntStats): string {
  const id = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  return createHash("sha256").update(id).digest("hex").slice(0, 16);
}

/** Object metadata from a file stat. */
export function infoOf(key: string, st: BigIntStats): ObjectInfo {
  return { key, size: Number(st.size), etag: etagOf(st), lastModified: new Date(Number(st.mtimeMs)) };
}

/** Wall-clock microseconds with sub-millisecond noise, so mtimes (and etags) of successive writes differ. */
export function nowMicros(): bigint {
  return BigInt(Date.now()) * 1000n + ((process.hrtime.bigint() / 1000n) % 1000n);
}

/** Sets a file's atime and mtime to `micros` microseconds since the epoch. */
export async function setMtime(fh: FileHandle, micros: bigint): Promise<void> {
  const seconds = Number(micros) / 1e6;
  await fh.utimes(seconds, seconds);
}

/** One fsync of a directory; its open and close are synchronous (µs), only the fsync leaves the event loop. */
async function syncDirOnce(dir: string): Promise<void> {
  const fd = fs.openSync(dir, "r");
  try {
    await fsyncFd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Per directory: the fsync running now, and the one queued to start after it (shared by every caller that arrives meanwhile). */
const dirSyncs = new Map<string, { running: Promise<void>; queued?: Promise<void> }>();

/**
 * Flushes a directory's entries to disk: every entry changed before the call is durable when it
 * resolves. Calls on the same directory are grouped (group commit): a call joins the fsync queued to
 * start after the running one, never the running one itself (it may have started before the
 * caller's change), so concurrent writers into one directory (sibling month directories of one
 * parent) share one fsync instead of one each.
 */
export function fsyncDir(dir: string): Promise<void> {
  const state = dirSyncs.get(dir);
  if (!state) {
    const running = syncDirOnce(dir).finally(() => advance(dir));
    dirSyncs.set(dir, { running });
    return running;
  }
  state.queued ??= state.running.then(
    () => syncDirOnce(dir),
    () => syncDirOnce(dir),
  );
  return state.queued;
}

/** The running fsync of `dir` ended: its queued one (already chained to start) becomes the running one. */
function advance(dir: string): void {
  const state = dirSyncs.get(dir)!;
  if (!state.queued) {
    dirSyncs.delete(dir);
    return;
  }
  const running = state.queued.finally(() => advance(dir));
  running.catch(() => undefined);
  dirSyncs.set(dir, { running });
}

/** Stat of a regular file, or null when there is none at `path`. */
export async function statOrNull(path: string): Promise<BigIntStats | null> {
  try {
    const st = await fsp.stat(path, { bigint: true });
    return st.isFile() ? st : null;
  } catch (e) {
    if (errCode(e) === "ENOENT" || errCode(e) === "ENOTDIR") return null;
    throw e;
  }
}

/** Writes the whole chunk, looping over short writes. */
export async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await fh.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}
