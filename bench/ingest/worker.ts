import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";

/** Where a child worker connects and what it serves (env of `tidemark worker`). */
export interface WorkerEnv {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  storeUrl: string;
  datasetsDir: string;
  /** Extra environment (S3 endpoint and credentials for MinIO). */
  extra?: Record<string, string>;
}

const BIN = join(__dirname, "..", "..", "..", "bin", "tidemark.js");

/**
 * Extra environment of every child worker from `BENCH_WORKER_ENV` (`NAME=value` pairs separated by
 * spaces, e.g. `MALLOC_ARENA_MAX=2 TIDEMARK_ENGINE_MEMORY=900MB`), so a trial changes the worker's
 * environment without changing the bench process's own.
 */
export function benchWorkerEnv(raw = process.env.BENCH_WORKER_ENV ?? ""): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of raw.split(/\s+/).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`BENCH_WORKER_ENV: ${JSON.stringify(pair)} is not NAME=value; separate pairs with spaces.`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}
const live = new Set<ChildWorker>();

/** SIGKILLs every child worker still running (on SIGINT/SIGTERM of the bench). */
export function killAllWorkers(): void {
  for (const w of live) w.proc.kill("SIGKILL");
}

function statusKb(pid: number, field: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

/**
 * A `tidemark worker` in its own process, so its peak RSS (VmHWM) is its own and P6 can SIGKILL it.
 * `ready` settles once it polls its task queue.
 */
export class ChildWorker {
  readonly proc: ChildProcess;
  readonly startedAt = performance.now();
  /** Milliseconds from spawn to "worker polling …". */
  readyMs = 0;
  readonly ready: Promise<void>;
  private tail: string[] = [];

  constructor(env: WorkerEnv) {
    const nodeFlags = (process.env.BENCH_WORKER_NODE_FLAGS ?? "").split(" ").filter(Boolean);
    this.proc = spawn(process.execPath, [...nodeFlags, BIN, "worker", "--log-format", "text"], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: env.temporalAddress,
        TEMPORAL_NAMESPACE: env.namespace,
        TIDEMARK_TASK_QUEUE: env.taskQueue,
        TIDEMARK_STORE: env.storeUrl,
        TIDEMARK_DATASETS: env.datasetsDir,
        TIDEMARK_LOG_LEVEL: "WARN",
        TIDEMARK_SOURCE_ALLOW: process.env.TIDEMARK_SOURCE_ALLOW ?? `${pathToFileURL(realpathSync(tmpdir())).href}/,s3://`,
        ...env.extra,
        ...benchWorkerEnv(),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(this);
    const trace = process.env.BENCH_RSS_TRACE;
    const sampler = trace ? setInterval(() => this.traceRss(trace), 100) : undefined;
    this.proc.once("exit", () => {
      live.delete(this);
      clearInterval(sampler);
    });
    const keep = (chunk: Buffer) => {
      this.tail.push(chunk.toString());
      if (this.tail.length > 40) this.tail.shift();
    };
    this.proc.stderr?.on("data", keep);
    this.ready = new Promise<void>((resolve, reject) => {
      this.proc.stdout?.on("data", (chunk: Buffer) => {
        keep(chunk);
        if (chunk.toString().includes("worker polling")) {
          this.readyMs = Math.round(performance.now() - this.startedAt);
          resolve();
        }
      });
      this.proc.once("exit", (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before polling:\n${this.tail.join("")}`)));
    });
    this.ready.catch(() => {});
  }

  /** Peak resident set size (VmHWM) in MB since start or the last {@link resetPeak}. */
  peakRssMb(): number {
    return Math.round(statusKb(this.proc.pid ?? 0, "VmHWM") / 1024);
  }

  /** Current RSS in MB. */
  rssMb(): number {
    return Math.round(statusKb(this.proc.pid ?? 0, "VmRSS") / 1024);
  }

  /** Appends `<epoch ms> <pid> <VmRSS MB>` to `file` (`BENCH_RSS_TRACE`: a worker's RSS every 100 ms, to attribute its peak). */
  private traceRss(file: string): void {
    try {
      appendFileSync(file, `${Date.now()} ${this.proc.pid} ${this.rssMb()}\n`);
    } catch {
      // the process just exited
    }
  }

  /** Resets VmHWM to the current RSS (Linux `clear_refs` 5); false where the kernel refuses. */
  resetPeak(): boolean {
    try {
      writeFileSync(`/proc/${this.proc.pid}/clear_refs`, "5");
      return true;
    } catch {
      return false;
    }
  }

  /** Last lines of its output, for error reports. */
  output(): string {
    return this.tail.join("");
  }

  /** SIGKILL (P6) or SIGTERM (graceful), then waits for the exit. */
  async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once("exit", () => resolve()));
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Starts a child worker and waits until it polls. */
export async function startWorker(env: WorkerEnv): Promise<ChildWorker> {
  const worker = new ChildWorker(env);
  await worker.ready;
  return worker;
}
