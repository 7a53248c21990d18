/**
 * The body of a writer thread of {@link FsCreateWriters} (fs-create.ts). It runs as the source text
 * of {@link createThreadMain} in a `worker_threads` thread (eval), so it references nothing outside
 * itself: the modules come in as arguments.
 */
import type * as Fs from "node:fs";
import type { MessagePort } from "node:worker_threads";

/** One create-only write, as the thread receives it. */
export interface CreateJob {
  readonly id: number;
  /** Directory of `tmp` and `path`. */
  readonly dir: string;
  readonly tmp: string;
  readonly path: string;
  readonly bytes: Uint8Array;
  /** atime and mtime to set, seconds since the epoch. */
  readonly seconds: number;
}

/** Step of a create at which it failed. */
export type CreateStage = "open" | "write" | "link" | "after-link";

/** What the thread answers for a job. */
export type CreateOutcome =
  | { readonly id: number; readonly ok: true; readonly ino: bigint; readonly size: bigint; readonly mtimeNs: bigint; readonly ctimeNs: bigint }
  | { readonly id: number; readonly ok: false; readonly stage: CreateStage; readonly code?: string; readonly message: string };

/**
 * Serves jobs from `port`: per job, synchronously, open the temporary file (create-only), write
 * the bytes, set its times, fsync it, link it to its name (create-only), remove the temporary
 * name, stat the file for its etag, close it, and fsync the directory so the new name is durable.
 * A job that fails before the link leaves no temporary file behind.
 */
export function createThreadMain(fs: typeof Fs, port: MessagePort): void {
  port.on("message", (job: CreateJob) => {
    let stage: CreateStage = "open";
    let fd = -1;
    let linked = false;
    try {
      fd = fs.openSync(job.tmp, "wx");
      stage = "write";
      const bytes = job.bytes;
      let offset = 0;
      while (offset < bytes.byteLength) offset += fs.writeSync(fd, bytes, offset, bytes.byteLength - offset);
      fs.futimesSync(fd, job.seconds, job.seconds);
      fs.fsyncSync(fd);
      stage = "link";
      fs.linkSync(job.tmp, job.path);
      linked = true;
      stage = "after-link";
      fs.unlinkSync(job.tmp);
      const st = fs.fstatSync(fd, { bigint: true });
      fs.closeSync(fd);
      fd = -1;
      const dirFd = fs.openSync(job.dir, "r");
      try {
        fs.fsyncSync(dirFd);
      } finally {
        fs.closeSync(dirFd);
      }
      port.postMessage({ id: job.id, ok: true, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs });
    } catch (e) {
      if (fd >= 0) {
        try {
          fs.closeSync(fd);
        } catch {
          // The close of a file whose write failed: the failure reported is the write's.
        }
      }
      if (!linked && stage !== "open") {
        try {
          fs.unlinkSync(job.tmp);
        } catch {
          // A temporary file that cannot be removed is swept later (listings hide it).
        }
      }
      const err = e as NodeJS.ErrnoException;
      port.postMessage({ id: job.id, ok: false, stage, code: err.code, message: String(err.message) });
    }
  });
}
