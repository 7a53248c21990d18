import { Client, Connection } from "@temporalio/client";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../../src/devstack/ports";
import { startTemporalDevServer, type TemporalDevServer } from "../../src/devstack/temporal-server";
import { startGatewaySimulator, type GatewaySimulator } from "../../src/gateway/simulator";
import type { SimulatorFaults } from "../../src/gateway/faults";
import { LedgerStore } from "../../src/ledger/store";
import { FsObjectStore } from "../../src/store/fs";
import { CrashWorkers, type CrashWorker, type CrashWorkerConfig, type WorkerExit } from "../support/crash-workers";
import { services } from "../support/services";
import { uniqueTaskQueue } from "../support/temporal";

/** One SIGKILL the test sent, with what was in flight when it landed. */
export interface Kill {
  target: "worker" | "server" | "simulator";
  pid: number;
  /** Payments the test had started and not yet seen end when the signal was sent. */
  inFlight: number;
  /** How the process ended (signal SIGKILL when the kill landed). */
  exit: { code: number | null; signal: NodeJS.Signals | null };
}

/**
 * A Temporal dev server of its own on a persistent SQLite file, real worker processes (compiled
 * dist/, `npm run build` first) kept at `liveWorkers` and replaced when they end, the gateway
 * simulator and a ledger on a file store: everything the bank and outage tests kill.
 */
export class BankBed {
  readonly dir = mkdtempSync(join(tmpdir(), "tidemark-bank-"));
  readonly storeDir = join(this.dir, "store");
  readonly store: FsObjectStore;
  readonly ledgerName = `bank-${Date.now().toString(36)}`;
  readonly ledger: LedgerStore;
  readonly taskQueue = uniqueTaskQueue("bank");
  readonly kills: Kill[] = [];
  /** Worker processes that ended without the test killing them (e.g. when the server went away). */
  readonly lostWorkers: Array<{ pid: number; exit: WorkerExit }> = [];
  server!: TemporalDevServer;
  sim!: GatewaySimulator;
  client!: Client;
  workers!: CrashWorkers;
  private workerConfig!: CrashWorkerConfig;
  private port = 0;
  private readonly live = new Map<number, CrashWorker>();
  private readonly killing = new Set<number>();
  private closing = false;
  private supervising: Promise<void>[] = [];

  /** `gateway`: the in-process simulator's faults, or the URL of a simulator the test runs itself. */
  constructor(private readonly liveWorkers: number, private readonly gateway: Partial<SimulatorFaults> | { url: string }) {
    mkdirSync(this.storeDir);
    this.store = new FsObjectStore(this.storeDir);
    this.ledger = new LedgerStore(this.store, this.ledgerName);
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Environment for `tidemark` CLI runs against this bed. */
  get env(): Record<string, string> {
    return { TIDEMARK_STORE: pathToFileURL(this.storeDir).href, TEMPORAL_ADDRESS: this.address, TEMPORAL_NAMESPACE: "default", TIDEMARK_TASK_QUEUE: this.taskQueue, TIDEMARK_LEDGER: this.ledgerName };
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = await this.startServer();
    if ("url" in this.gateway) process.env.TIDEMARK_GATEWAY_URL = this.gateway.url;
    else {
      this.sim = await startGatewaySimulator({ faults: this.gateway });
      process.env.TIDEMARK_GATEWAY_URL = this.sim.url;
    }
    process.env.TIDEMARK_GATEWAY_TIMEOUT_MS = "1500";
    this.client = new Client({ connection: await Connection.connect({ address: this.address }), namespace: "default" });
    const datasetsDir = join(this.dir, "datasets");
    mkdirSync(datasetsDir);
    this.workerConfig = { address: this.address, namespace: "default", taskQueue: this.taskQueue, bundlePath: services().workflowBundlePath, datasetsDir, store: { kind: "fs", dir: this.storeDir } };
    this.workers = new CrashWorkers(this.workerConfig, 2);
    for (let i = 0; i < this.liveWorkers; i++) await this.addWorker();
  }

  /** Pids of the polling workers. */
  livePids(): number[] {
    return [...this.live.keys()];
  }

  private startServer(): Promise<TemporalDevServer> {
    return startTemporalDevServer({ binary: services().temporal.binary, port: this.port, uiPort: false, dbFilename: join(this.dir, "temporal.db") });
  }

  /** Starts one more polling worker that is replaced whenever it ends, until {@link close}. */
  private async addWorker(): Promise<void> {
    let worker: CrashWorker | undefined;
    for (let attempt = 0; !worker; attempt++) {
      try {
        worker = await this.workers.next(null);
      } catch (err) {
        if (this.closing || attempt >= 60) throw err;
        await sleep(1000);
      }
    }
    const w = worker;
    this.live.set(w.pid, w);
    this.supervising.push(
      w.exited.then(async (exit) => {
        this.live.delete(w.pid);
        if (!this.killing.has(w.pid)) this.lostWorkers.push({ pid: w.pid, exit });
        if (!this.closing) await this.addWorker();
      }),
    );
  }

  /** SIGKILLs one polling worker (a replacement starts at once) and records the kill. */
  async killWorker(inFlight: number): Promise<Kill> {
    for (let i = 0; i < 600 && this.live.size === 0; i++) await sleep(100);
    const [pid, w] = [...this.live.entries()][0];
    this.killing.add(pid);
    process.kill(pid, "SIGKILL");
    const exit = await w.exited;
    const kill: Kill = { target: "worker", pid, inFlight, exit: { code: exit.code, signal: exit.signal } };
    this.kills.push(kill);
    return kill;
  }

  /** SIGKILLs the dev server and waits for it to end. */
  async killServer(inFlight: number): Promise<Kill> {
    const child = this.server.process.child;
    const exit = await killAndWait(child);
    const kill: Kill = { target: "server", pid: child.pid!, inFlight, exit };
    this.kills.push(kill);
    return kill;
  }

  /** Starts the dev server again on the same port and database file. */
  async restartServer(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.server = await this.startServer();
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await sleep(1000);
      }
    }
  }

  /** SIGKILLs every polling worker at once (replacements start with {@link restartWorkers}). */
  async killAllWorkers(inFlight: number): Promise<Kill[]> {
    this.closing = true;
    const all = [...this.live.entries()];
    for (const [pid] of all) {
      this.killing.add(pid);
      process.kill(pid, "SIGKILL");
    }
    const kills: Kill[] = [];
    for (const [pid, w] of all) {
      const exit = await w.exited;
      kills.push({ target: "worker", pid, inFlight, exit: { code: exit.code, signal: exit.signal } });
    }
    await Promise.all(this.supervising);
    this.supervising = [];
    await this.workers.close();
    this.kills.push(...kills);
    return kills;
  }

  /** After {@link killAllWorkers}: fresh worker processes. */
  async restartWorkers(): Promise<void> {
    this.closing = false;
    this.workers = new CrashWorkers(this.workerConfig, 2);
    for (let i = 0; i < this.liveWorkers; i++) await this.addWorker();
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.workers?.close();
    await Promise.all(this.supervising);
    await this.client?.connection.close();
    await this.server?.stop();
    await this.sim?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function killAndWait(child: import("node:child_process").ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const ended = child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await ended;
  return { code: child.exitCode, signal: child.signalCode };
}
