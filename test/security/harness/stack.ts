import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import type { Client } from "@temporalio/client";
import { waitFor } from "../../../src/devstack/ports";
import { ingestWorkflowId } from "../../../src/one-writer";
import { services } from "../../support/services";
import { testClient, uniqueTaskQueue } from "../../support/temporal";
import { fenceEnv, fenceRecords, type FenceRecord } from "./fence";

const ROOT = join(__dirname, "..", "..", "..");
const BIN = join(ROOT, "bin", "tidemark.js");

/** What one `tidemark` process printed and returned. */
export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every string and byte field (payloads decoded as UTF-8) of a value, joined. */
export function readableText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  if (Array.isArray(value)) return value.map(readableText).join("\n");
  if (value && typeof value === "object") return Object.values(value).map(readableText).join("\n");
  return "";
}

/**
 * A fenced `tidemark worker` process with its own home, definitions directory and file store, plus
 * fenced `tidemark` CLI processes on the same task queue. `env` is added to a minimal environment
 * (no TIDEMARK_SOURCE_ALLOW unless given: the product's defaults apply).
 */
export class SecureStack {
  readonly home = realpathSync(mkdtempSync(join(tmpdir(), "tm-sec-")));
  readonly datasetsDir = join(this.home, "datasets");
  readonly storeDir = join(this.home, "store");
  readonly taskQueue = uniqueTaskQueue("sec");
  private worker?: ChildProcess;
  private output = "";
  private client?: Client;
  readonly env: NodeJS.ProcessEnv;

  constructor(env: Record<string, string> = {}) {
    mkdirSync(this.datasetsDir);
    mkdirSync(this.storeDir);
    const { temporal } = services();
    this.env = fenceEnv(this.home, {
      PATH: process.env.PATH,
      HOME: this.home,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TIDEMARK_TASK_QUEUE: this.taskQueue,
      TIDEMARK_STORE: pathToFileURL(this.storeDir).href,
      TIDEMARK_DATASETS: this.datasetsDir,
      TIDEMARK_SOURCE_ATTEMPTS: "1",
      ...env,
    });
  }

  /** Starts the worker process and waits for its start line. */
  async start(): Promise<void> {
    if (!existsSync(join(ROOT, "dist", "src", "cli", "main.js"))) throw new Error('dist/ is missing: run "npm run build" before this test.');
    const worker = spawn(process.execPath, [BIN, "worker", "--log-format", "json"], { cwd: this.home, env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    this.worker = worker;
    worker.stdout!.on("data", (c: Buffer) => (this.output += c.toString()));
    worker.stderr!.on("data", (c: Buffer) => (this.output += c.toString()));
    const died = () => (worker.exitCode !== null ? `the worker exited with ${worker.exitCode}:\n${this.output}` : undefined);
    await waitFor(async () => this.output.includes("worker polling"), { timeoutMs: 90_000, describe: "the worker process's start line", abort: died });
    this.client = await testClient();
  }

  /** The worker's pid. */
  get pid(): number {
    return this.worker!.pid!;
  }

  /** Everything the worker process logged so far. */
  logs(): string {
    return this.output;
  }

  /** Runs `tidemark <args>` as a fenced process in the stack's home. */
  cli(args: string[], env: Record<string, string> = {}): Promise<Exit> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: this.home, env: { ...this.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** The text of every JSON file in the store (manifests, pointers). */
  storeJson(): string {
    return Object.keys(this.storeState())
      .filter((f) => f.endsWith(".json"))
      .map((f) => readFileSync(join(this.storeDir, f), "utf8"))
      .join("\n");
  }

  /** Every file of the store with its sha256, for before/after comparisons. */
  storeState(): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else out[relative(this.storeDir, path)] = createHash("sha256").update(readFileSync(path)).digest("hex");
      }
    };
    walk(this.storeDir);
    return out;
  }

  /** The decoded text of every event of the dataset's ingest run (`runId`, else the latest), or "" when none ran. */
  async historyText(dataset: string, runId?: string): Promise<string> {
    try {
      return readableText(await this.client!.workflow.getHandle(ingestWorkflowId(dataset), runId).fetchHistory());
    } catch {
      return "";
    }
  }

  /** What the fence refused in this stack's processes. */
  fenced(): FenceRecord[] {
    return fenceRecords(this.home);
  }

  /** Stops the worker (SIGTERM, then SIGKILL if it hangs) and the client, and removes the home. */
  async stop(): Promise<void> {
    await this.client?.connection.close().catch(() => {});
    const worker = this.worker;
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker.once("exit", r));
      worker.kill("SIGTERM");
      const timer = setTimeout(() => worker.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}
