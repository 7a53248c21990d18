/**
 * Create-only writes of whole buffers for {@link FsObjectStore} (fs.ts), each done as ONE job on a
 * small pool of `worker_threads` threads that make the write's syscalls synchronously
 * (fs-create-thread.ts), instead of one libuv round trip and promise per syscall on the main
 * thread. The steps, and so durability, are those of the promise path: the file is fsynced before
 * its link, the directory after it. The bytes reach the thread as a copy of their buffer (of the
 * viewed bytes only, when the buffer is much larger than the view).
 */
import { Worker } from "node:worker_threads";
import { StoreUnavailableError } from "../errors.js";
import type { EtagStat } from "./fs-io.js";
import { type CreateJob, type CreateOutcome, type CreateStage, createThreadMain } from "./fs-create-thread.js";

/** A failed create: the errno code and the step it failed at. */
export class CreateFailure extends Error {
  constructor(
    readonly stage: CreateStage,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The source text a writer thread runs. */
const THREAD_SOURCE = `(${createThreadMain.toString()})(require("node:fs"), require("node:worker_threads").parentPort);`;

interface Pending {
  resolve(st: EtagStat): void;
  reject(err: Error): void;
}

class WriterThread {
  private readonly worker: Worker;
  private pending: { id: number; job: Pending } | null = null;
  private dead = false;

  constructor(private readonly onIdle: (t: WriterThread) => void, private readonly onGone: (t: WriterThread) => void) {
    this.worker = new Worker(THREAD_SOURCE, { eval: true, stdout: false, stderr: false });
    this.worker.unref();
    this.worker.on("message", (o: CreateOutcome) => this.settle(o));
    this.worker.on("error", (err) => this.gone(err));
    this.worker.on("exit", (code) => this.gone(new Error(`exited with code ${code}`)));
  }

  run(job: CreateJob, p: Pending): void {
    this.pending = { id: job.id, job: p };
    this.worker.ref();
    const b = job.bytes;
    this.worker.postMessage(b.buffer.byteLength <= 2 * b.byteLength + 8192 ? job : { ...job, bytes: new Uint8Array(b) });
  }

  private settle(o: CreateOutcome): void {
    const p = this.pending;
    if (!p || p.id !== o.id) return;
    this.pending = null;
    this.worker.unref();
    if (o.ok) p.job.resolve(o);
    else p.job.reject(new CreateFailure(o.stage, o.code, o.message));
    this.onIdle(this);
  }

  private gone(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.onGone(this);
    const p = this.pending;
    this.pending = null;
    p?.job.reject(new StoreUnavailableError(`The filesystem store's writer thread stopped (${err.message}); retry the write.`, { cause: err }));
  }
}

/**
 * A pool of up to `maxThreads` writer threads, started on first use, shared by every store of the
 * process; a job waits for a free thread. Idle threads do not keep the process alive.
 */
export class FsCreateWriters {
  private readonly threads: WriterThread[] = [];
  private readonly idle: WriterThread[] = [];
  private readonly queue: { job: CreateJob; p: Pending }[] = [];
  private nextId = 1;

  constructor(private readonly maxThreads: number) {}

  /** Writes `bytes` to the temporary file `tmp` in `dir` and links it to `path` (see fs-create-thread.ts); the stat for its etag. Rejects with {@link CreateFailure}. */
  create(dir: string, tmp: string, path: string, bytes: Uint8Array, micros: bigint): Promise<EtagStat> {
    const job: CreateJob = { id: this.nextId++, dir, tmp, path, bytes, seconds: Number(micros) / 1e6 };
    return new Promise<EtagStat>((resolve, reject) => {
      const p = { resolve, reject };
      const t = this.idle.pop() ?? this.spawn();
      if (t) t.run(job, p);
      else this.queue.push({ job, p });
    });
  }

  private spawn(): WriterThread | undefined {
    if (this.threads.length >= this.maxThreads) return undefined;
    const t = new WriterThread(
      (done) => this.next(done),
      (dead) => {
        const i = this.threads.indexOf(dead);
        if (i < 0) return;
        this.threads.splice(i, 1);
        const j = this.idle.indexOf(dead);
        if (j >= 0) this.idle.splice(j, 1);
        if (this.queue.length > 0) this.next(this.spawn()!);
      },
    );
    this.threads.push(t);
    return t;
  }

  private next(t: WriterThread): void {
    const waiting = this.queue.shift();
    if (waiting) t.run(waiting.job, waiting.p);
    else this.idle.push(t);
  }
}
