/**
 * The servers under test as child processes, so their CPU and memory are their own: `tidemark
 * serve` on a `file://` store and the floor server. Peak RSS is the kernel's VmHWM, reset with
 * `/proc/<pid>/clear_refs` 5.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The repository: two levels up from bench/intake, three from dist/bench/intake. */
const ROOT = existsSync(join(__dirname, "..", "..", "bin", "tidemark.js")) ? join(__dirname, "..", "..") : join(__dirname, "..", "..", "..");
const BIN = join(ROOT, "bin", "tidemark.js");
const live = new Set<ChildProcess>();

/** SIGKILLs every child still running (on SIGINT/SIGTERM of the bench). */
export function killAll(): void {
  for (const p of live) p.kill("SIGKILL");
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

/** Starts `tidemark serve` on 127.0.0.1 with the events dataset on `file://<dir>/store`; extra CLI flags as given, Node flags from `BENCH_SERVE_NODE_FLAGS` (e.g. `--cpu-prof`). */
export function startServe(dir: string, flags: string[] = []): ServerProcess {
  const datasets = join(dir, "datasets");
  mkdirSync(datasets, { recursive: true });
  writeFileSync(join(datasets, "events.yaml"), readFileSync(join(ROOT, "bench", "intake", "events.yaml")));
  const nodeFlags = (process.env.BENCH_SERVE_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const proc = spawn(process.execPath, [...nodeFlags, BIN, "serve", "--host", "127.0.0.1", "--port", "0", ...flags], {
    env: {
      ...process.env,
      TIDEMARK_STORE: pathToFileURL(join(dir, "store")).href,
      TIDEMARK_DATASETS: datasets,
      TIDEMARK_INGEST_TOKENS: `${BENCH_TOKEN}@*`,
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? "127.0.0.1:7233",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new ServerProcess("serve", proc, /serving on (http:\/\/127\.0\.0\.1:\d+)/);
}

/** Starts the floor server appending to `<dir>/floor.ndjson`. */
export function startFloorProcess(dir: string): ServerProcess {
  mkdirSync(dir, { recursive: true });
  const proc = spawn(process.execPath, [join(ROOT, "dist", "bench", "intake", "floor.js"), join(dir, "floor.ndjson")], { stdio: ["ignore", "pipe", "pipe"] });
  return new ServerProcess("floor", proc, /floor on (http:\/\/127\.0\.0\.1:\d+)/);
}
