import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";

/** Where a crash worker's activities keep the dataset. */
export type CrashStoreSpec =
  | { kind: "fs"; dir: string }
  | { kind: "s3"; endpoint: string; region: string; bucket: string; prefix: string; accessKeyId: string; secretAccessKey: string; multipartThreshold?: number };

/** What every crash worker process of one test bed is started with (env TIDEMARK_CRASH_WORKER). */
export interface CrashWorkerConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  datasetsDir: string;
  store: CrashStoreSpec;
}

/** Where a crash worker SIGKILLs itself, or stalls once ("hold"); see test/support/crash-worker.mjs. null: never. */
export type KillPlan =
  | { kind: "point"; point: string }
  | { kind: "write"; step: string; n: number; phase: "started" | "streaming" | "done" }
  | { kind: "mid-write"; step: string; n: number }
  | { kind: "timer"; ms: number }
  | { kind: "hold"; point: string; ms?: number }
  | null;

/** What a mid-write kill should have left in the store (see test/support/crash-worker.mjs). */
export type KillLeft =
  | { kind: "none" }
  | { kind: "missed" }
  | { kind: "temp"; dir: string; path?: string }
  | { kind: "upload"; key: string }
  | { kind: "applied"; key: string };

/** A crash worker's own record of its SIGKILL, written just before it. */
export interface KillRecord {
  where: string;
  /** Activity type running in the process when it died (null: between activities). */
  activity: string | null;
  /** Keys of the store writes started and not finished when it died. */
  inFlight: string[];
  left: KillLeft;
}

/** How a worker process ended, with the tail of its stderr. */
export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** A worker process that is polling. */
export interface CrashWorker {
  pid: number;
  plan: KillPlan;
  /** Resolves with the point once a `hold` plan without `ms` stalls there. */
  held: Promise<string>;
  /** Lets a held worker go on. */
  release(): void;
  exited: Promise<WorkerExit>;
  /** Shuts the worker down cleanly and waits for the process to end. */
  stop(): Promise<WorkerExit>;
}

const ENTRY = join(__dirname, "crash-worker.mjs");

interface Warm {
  child: ChildProcess;
  exited: Promise<WorkerExit>;
  ready: Promise<void>;
}

function spawnWarm(config: CrashWorkerConfig): Warm {
  const child = fork(ENTRY, [], {
    env: { ...process.env, TIDEMARK_CRASH_WORKER: JSON.stringify(config) },
    execArgv: [],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let stderr = "";
  const keep = (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<WorkerExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, stderr })));
  const ready = new Promise<void>((resolve, reject) => {
    child.once("message", (m: { type?: string }) => (m?.type === "ready" ? resolve() : reject(new Error(`crash worker sent ${JSON.stringify(m)}`))));
    void exited.then((e) => reject(new Error(`crash worker exited before it was ready (${e.signal ?? `code ${e.code}`}): ${e.stderr}`)));
  });
  ready.catch(() => {});
  return { child, exited, ready };
}

/**
 * Real worker processes for one test bed. Spare processes are kept connected and idle (not
 * polling), so a killed worker is replaced as soon as its death is seen.
 */
export class CrashWorkers {
  private readonly spares: Warm[] = [];
  private readonly live = new Set<ChildProcess>();

  /** `warm` processes are kept connected and idle ahead of need (process start costs seconds). */
  constructor(private readonly config: CrashWorkerConfig, private readonly warm = 4) {}

  /** Starts polling in a fresh process that follows `plan`; a new spare starts warming at once. A spare that could not connect (the server was down while it warmed) is replaced. */
  async next(plan: KillPlan): Promise<CrashWorker> {
    let warm: Warm | undefined;
    for (let tries = 1; warm === undefined; tries++) {
      while (this.spares.length <= this.warm) this.spares.push(spawnWarm(this.config));
      const candidate = this.spares.shift()!;
      try {
        await candidate.ready;
        warm = candidate;
      } catch (err) {
        if (tries >= 5) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const { child, exited } = warm;
    this.live.add(child);
    void exited.then(() => this.live.delete(child));
    const held = new Promise<string>((resolve) => child.on("message", (m: { type?: string; point?: string }) => m?.type === "held" && resolve(m.point!)));
    child.send({ type: "run", plan });
    return {
      pid: child.pid!,
      plan,
      exited,
      held,
      release: () => {
        if (child.connected) child.send({ type: "release" });
      },
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null && child.connected) child.send({ type: "stop" });
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      },
    };
  }

  /** Stops every polling worker (the spares stay warm). */
  async stopPolling(): Promise<void> {
    await stopAll([...this.live]);
  }

  /** Stops every process this bed started. */
  async close(): Promise<void> {
    const spares = this.spares.splice(0).map((w) => w.child);
    await stopAll([...this.live, ...spares]);
  }
}

async function stopAll(all: ChildProcess[]): Promise<void> {
  await Promise.all(
      all.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            if (child.connected) child.send({ type: "stop" });
            else child.kill("SIGKILL");
          }),
      ),
    );
}
