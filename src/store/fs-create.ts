import fs from "node:fs";
import { errCode, etagOf, fsyncDir, fsyncFd, nowMicros } from "./fs-io.js";
import type { PutResult } from "./types.js";

/** What {@link createFromBytes} needs from its store. */
export interface CreateSteps {
  /** Creates the missing target directory (durably); called when the temporary file cannot be opened for want of it. */
  ensureDir(): Promise<void>;
  /** The error for a target name that is already taken (`lstat` of the taken path passed). */
  taken(existing: fs.Stats | undefined): Error;
  /** Called just before the link (a write's deadline is checked there); throwing leaves nothing linked. */
  beforeLink?(): void;
}

/**
 * A create-only write of a buffer: the bytes go to `tmp`, which is fsynced, then linked to `path`
 * (failing when the name is taken) and unlinked; the directory is fsynced before it resolves. Only
 * the two fsyncs leave the event loop: open, write, futimes, link, unlink, fstat and close are
 * synchronous (a few µs each on a local disk, against ~40 µs of CPU per round trip to libuv's thread
 * pool), which made push intake's fragment writes about a fifth cheaper per request.
 */
export async function createFromBytes(tmp: string, path: string, dir: string, bytes: Uint8Array, steps: CreateSteps): Promise<PutResult> {
  let fd: number;
  try {
    fd = fs.openSync(tmp, "wx");
  } catch (e) {
    if (errCode(e) !== "ENOENT" && errCode(e) !== "ENOTDIR") throw e;
    await steps.ensureDir();
    fd = fs.openSync(tmp, "wx");
  }
  let published = false;
  try {
    for (let offset = 0; offset < bytes.byteLength; ) offset += fs.writeSync(fd, bytes, offset, bytes.byteLength - offset);
    const seconds = Number(nowMicros()) / 1e6;
    fs.futimesSync(fd, seconds, seconds);
    await fsyncFd(fd);
    steps.beforeLink?.();
    try {
      fs.linkSync(tmp, path);
    } catch (e) {
      if (errCode(e) !== "EEXIST") throw e;
      throw steps.taken(fs.lstatSync(path, { throwIfNoEntry: false }));
    }
    published = true;
    fs.unlinkSync(tmp);
    const st = fs.fstatSync(fd, { bigint: true });
    await fsyncDir(dir);
    return { etag: etagOf(st), size: Number(st.size) };
  } finally {
    fs.closeSync(fd);
    if (!published) fs.rmSync(tmp, { force: true });
  }
}
