/**
 * The processes of the intake benchmarks, each a child process so its CPU and memory are its own:
 * a Temporal dev server with one `tidemark worker` compacting ({@link startStack}), `tidemark
 * serve` on the stack's `file://` store, and the floor server. Peak RSS is the kernel's VmHWM,
 * reset with `/proc/<pid>/clear_refs` 5.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { setPriority } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startEmbeddedStack } from "../../src/devstack/embedded.js";

/** The repository: two levels up from bench/intake, three from dist/bench/intake. */
const ROOT = existsSync(join(__dirname, "..", "..", "bin", "tidemark.js")) ? join(__dirname, "..", "..") : join(__dirname, "..", "..", "..");
const BIN = join(ROOT, "bin", "tidemark.js");
const live = new Set<ChildProcess>();

/** SIGKILLs every child still running (on SIGINT/SIGTERM of the bench). */
export function killAll(): void {
  for (const p of live) p.kill("SIGKILL");
}

/**
 * Runs a bench's `main`: SIGINT/SIGTERM and a failure SIGKILL every child process first; a failure
 * is reported through `report` with `name` and sets exit code 1.
 */
export function runBench(name: string, main: () => Promise<void>, report: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
  main().catch((err: unknown) => {
    killAll();
    report(`${name} failed: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  });
}

function statusKb(pid: number, field: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

/** A server process that printed its URL. */
export class ServerProcess {
  readonly url: Promise<string>;
  private tail: string[] = [];

  constructor(readonly name: string, readonly proc: ChildProcess, pattern: RegExp) {
    live.add(proc);
    proc.once("exit", () => live.delete(proc));
    const keep = (chunk: Buffer) => {
      this.tail.push(chunk.toString());
      if (this.tail.length > 40) this.tail.shift();
    };
    proc.stderr?.on("data", keep);
    this.url = new Promise<string>((resolve, reject) => {
      let seen = "";
      proc.stdout?.on("data", (chunk: Buffer) => {
        keep(chunk);
        seen += chunk.toString();
        const m = pattern.exec(seen);
        if (m) resolve(m[1]);
      });
      proc.once("exit", (code, signal) => reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${this.tail.join("")}`)));
    });
    this.url.catch(() => {});
  }

  /** Peak RSS (VmHWM) in MB since start or the last {@link resetPeak}. */
  peakRssMb(): number {
    return Math.round(statusKb(this.proc.pid ?? 0, "VmHWM") / 1024);
  }

  /** Resets VmHWM to the current RSS; false where the kernel refuses. */
  resetPeak(): boolean {
    try {
      writeFileSync(`/proc/${this.proc.pid}/clear_refs`, "5");
      return true;
    } catch {
      return false;
    }
  }

  /** Sets the nice value of every thread of the process (Linux nice is per thread); false where refused. */
  renice(nice: number): boolean {
    try {
      for (const tid of readdirSync(`/proc/${this.proc.pid}/task`)) setPriority(Number(tid), nice);
      return true;
    } catch {
      return false;
    }
  }

  /** CPU seconds (user + system) the process used so far. */
  cpuSeconds(): number {
    const fields = readFileSync(`/proc/${this.proc.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }

  /** SIGTERM, then waits for the exit (SIGKILL after 30 s); the exit code. */
  async stop(): Promise<number | null> {
    if (this.proc.exitCode !== null) return this.proc.exitCode;
    const exited = new Promise<number | null>((r) => this.proc.once("exit", (code) => r(code)));
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 30_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  /** Last lines of its output. */
  output(): string {
    return this.tail.join("");
  }
}

/** Token of the bench's serve processes (scope: every dataset). */
export const BENCH_TOKEN = "bench-intake-token-0001";

/** The dataset of the benchmarks (bench/intake/events.yaml). */
export const BENCH_DATASET = "events";

/** A `file://` store with the events dataset, and the environment serve (and a worker) run with. */
export interface BenchSetup {
  readonly storeDir: string;
  /** Environment of serve (and the worker): store, definitions, tokens, and Temporal when a stack runs. */
  readonly env: NodeJS.ProcessEnv;
}

/** A Temporal dev server and one `tidemark worker` on the setup's store. */
export interface BenchStack extends BenchSetup {
  readonly worker: ServerProcess;
  /** Stops the worker (SIGTERM), then the dev server. */
  stop(): Promise<void>;
}

/**
 * Creates `<dir>/store` and `<dir>/datasets` with the events dataset, or with `definition` (YAML,
 * e.g. events.yaml under another id); Temporal as in this process's environment.
 */
export function benchSetup(dir: string, definition?: { id: string; yaml: string }): BenchSetup {
  const datasets = join(dir, "datasets");
  const storeDir = join(dir, "store");
  mkdirSync(datasets, { recursive: true });
  mkdirSync(storeDir, { recursive: true });
  writeFileSync(join(datasets, `${definition?.id ?? BENCH_DATASET}.yaml`), definition?.yaml ?? readFileSync(join(ROOT, "bench", "intake", "events.yaml")));
  return {
    storeDir,
    env: {
      ...process.env, TIDEMARK_STORE: pathToFileURL(storeDir).href, TIDEMARK_DATASETS: datasets, TIDEMARK_INGEST_TOKENS: `${BENCH_TOKEN}@*`,
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? "127.0.0.1:7233",
    },
  };
}

/**
 * {@link benchSetup} under `dir`, plus a Temporal dev server (embedded, no in-process worker) and
 * one `tidemark worker` child process compacting on it (Node flags from `BENCH_WORKER_NODE_FLAGS`;
 * its stdout and stderr also appended to the file `BENCH_WORKER_LOG` names, when set).
 */
export async function startStack(dir: string): Promise<BenchStack> {
  const setup = benchSetup(dir);
  const stack = await startEmbeddedStack({ port: "any", uiPort: false, storeUrl: setup.env.TIDEMARK_STORE!, datasetsDir: setup.env.TIDEMARK_DATASETS!, worker: false });
  const env = { ...setup.env, TEMPORAL_ADDRESS: stack.address, TEMPORAL_NAMESPACE: stack.namespace, TIDEMARK_TASK_QUEUE: stack.taskQueue };
  const workerFlags = (process.env.BENCH_WORKER_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const worker = new ServerProcess("worker", spawn(process.execPath, [...workerFlags, BIN, "worker"], { env, stdio: ["ignore", "pipe", "pipe"] }), /(worker polling) task queue/);
  const log = process.env.BENCH_WORKER_LOG;
  if (log) for (const out of [worker.proc.stdout, worker.proc.stderr]) out?.on("data", (chunk: Buffer) => appendFileSync(log, chunk));
  try {
    await worker.url;
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return {
    storeDir: setup.storeDir, worker, env,
    async stop() {
      await worker.stop();
      await stack.stop();
    },
  };
}

/** Starts `tidemark serve` on 127.0.0.1 with the setup's (or stack's) environment; extra CLI flags as given, Node flags from `BENCH_SERVE_NODE_FLAGS` (e.g. `--cpu-prof`). */
export function startServe(setup: BenchSetup, flags: string[] = []): ServerProcess {
  const nodeFlags = (process.env.BENCH_SERVE_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const proc = spawn(process.execPath, [...nodeFlags, BIN, "serve", "--host", "127.0.0.1", "--port", "0", ...flags], { env: setup.env, stdio: ["ignore", "pipe", "pipe"] });
  return new ServerProcess("serve", proc, /serving on (http:\/\/127\.0\.0\.1:\d+)/);
}

/** Starts the floor server appending to `<dir>/floor.ndjson`. */
export function startFloorProcess(dir: string): ServerProcess {
  mkdirSync(dir, { recursive: true });
  const proc = spawn(process.execPath, [join(ROOT, "dist", "bench", "intake", "floor.js"), join(dir, "floor.ndjson")], { stdio: ["ignore", "pipe", "pipe"] });
  return new ServerProcess("floor", proc, /floor on (http:\/\/127\.0\.0\.1:\d+)/);
}
