import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, Connection } from "@temporalio/client";
import { freePort, isPortFree, waitFor } from "../../src/devstack/ports";
import { startMinio, type MinioServer } from "../../src/devstack/minio";
import { startTemporalDevServer, type TemporalDevServer } from "../../src/devstack/temporal-server";
import { S3ObjectStore } from "../../src/store/s3";
import { defaultS3Client } from "../../src/store/open";
import { CrashWorkers } from "../support/crash-workers";
import { services } from "../support/services";
import { uniqueTaskQueue } from "../support/temporal";

const BIN = join(__dirname, "..", "..", "bin", "tidemark.js");
const BUCKET = "intake-crash";
const TOKEN = "tok-intake-crash-01";

/** A `tidemark serve` process on a fixed port, killed and restarted by the test. */
export class ServeProcess {
  private child: ChildProcess | undefined;
  private output = "";
  /** SIGKILLs this test dealt. */
  kills = 0;

  constructor(readonly port: number, private readonly env: NodeJS.ProcessEnv) {}

  /** The last 4,000 characters the current process wrote to stdout and stderr. */
  tail(): string {
    return this.output;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the process and waits until it listens. */
  async start(): Promise<void> {
    await waitFor(() => isPortFree(this.port), { timeoutMs: 30_000, describe: `port ${this.port} to be free for serve` });
    const child = spawn(process.execPath, [BIN, "serve", "--port", String(this.port)], { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.output = "";
    const keep = (c: Buffer) => (this.output = (this.output + c.toString()).slice(-4000));
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`serve exited (${child.exitCode}): ${this.output}`);
      return /serving on http/.test(this.output);
    }, { timeoutMs: 30_000, describe: "serve to listen" });
  }

  /** SIGKILL, then a new process on the same port. */
  async killAndRestart(): Promise<void> {
    await this.kill();
    this.kills++;
    await this.start();
  }

  private async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }

  /** SIGTERM (graceful: in-flight groups are written and acknowledged); the exit code. */
  stop(): Promise<number | null> {
    return this.kill("SIGTERM");
  }
}

/** Everything the intake crash test runs on: its own Temporal (SQLite) and MinIO, two serve processes, crash workers. */
export interface IntakeCrashBed {
  dataset: string;
  token: string;
  taskQueue: string;
  store: S3ObjectStore;
  client: Client;
  workers: CrashWorkers;
  serves: ServeProcess[];
  /** SIGKILLs the Temporal server and starts it again on the same port and database. */
  restartTemporal(): Promise<void>;
  /** Stops MinIO, waits `ms`, starts it again on the same port and data directory. */
  pauseMinio(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts the bed: the push dataset `dataset` compacts every `compactInterval`. */
export async function intakeCrashBed(label: string, compactInterval: string): Promise<IntakeCrashBed> {
  const svc = services();
  const dir = mkdtempSync(join(tmpdir(), `tidemark-${label}-`));
  const dataset = `${label}_${Date.now().toString(36)}`;
  const datasetsDir = join(dir, "datasets");
  mkdirSync(datasetsDir);
  writeFileSync(
    join(datasetsDir, `${dataset}.yaml`),
    [
      `id: ${dataset}`, `source: { push: { compact_interval: "${compactInterval}" } }`, "schema:", "  columns:",
      "    - { name: id, type: string }", "    - { name: at, type: timestamp }", "    - { name: seq, type: int }", "    - { name: payload, type: string }",
      "  key: [id]", "  partition_by: at", "",
    ].join("\n"),
  );
  const temporalPort = await freePort();
  const dbFilename = join(dir, "temporal.db");
  const startTemporal = () => startTemporalDevServer({ binary: svc.temporal.binary, port: temporalPort, uiPort: false, dbFilename });
  let temporal: TemporalDevServer | undefined = await startTemporal();
  const minioPort = await freePort();
  const minioDir = join(dir, "minio");
  mkdirSync(minioDir);
  const startS3 = (buckets: string[]) => startMinio({ binary: svc.minioBinary, dataDir: minioDir, port: minioPort, buckets });
  let minio: MinioServer | undefined = await startS3([BUCKET]);
  const prefix = `push-${label}`;
  const s3 = defaultS3Client({ endpoint: minio.endpoint, region: minio.region, credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey } });
  const store = new S3ObjectStore({ client: s3, bucket: BUCKET, prefix });
  const taskQueue = uniqueTaskQueue(`crash-${label}`);
  const workers = new CrashWorkers(
    {
      address: temporal.address, namespace: temporal.namespace, taskQueue, bundlePath: svc.workflowBundlePath, datasetsDir,
      store: { kind: "s3", endpoint: minio.endpoint, region: minio.region, bucket: BUCKET, prefix, accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
    },
    2,
  );
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }), namespace: temporal.namespace });
  const env = {
    ...process.env, TIDEMARK_STORE: `s3://${BUCKET}/${prefix}`, TIDEMARK_DATASETS: datasetsDir, TIDEMARK_INGEST_TOKENS: `${TOKEN}@${dataset}`,
    TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: taskQueue,
    AWS_ENDPOINT_URL_S3: minio.endpoint, AWS_ACCESS_KEY_ID: minio.accessKeyId, AWS_SECRET_ACCESS_KEY: minio.secretAccessKey, AWS_REGION: minio.region,
  };
  const serves = [new ServeProcess(await freePort(), env), new ServeProcess(await freePort(), env)];
  await Promise.all(serves.map((s) => s.start()));
  return {
    dataset, token: TOKEN, taskQueue, store, client, workers, serves,
    async restartTemporal() {
      const down = temporal!;
      temporal = undefined;
      const child = down.process.child;
      const gone = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once("exit", resolve)));
      child.kill("SIGKILL");
      await gone;
      await waitFor(() => isPortFree(temporalPort), { timeoutMs: 30_000, describe: "the killed Temporal server's port to be released" });
      temporal = await startTemporal();
    },
    async pauseMinio(ms: number) {
      const down = minio!;
      minio = undefined;
      await down.stop();
      await new Promise((r) => setTimeout(r, ms));
      await waitFor(() => isPortFree(minioPort), { timeoutMs: 30_000, describe: "MinIO's port to be released" });
      minio = await startS3([]);
    },
    async close() {
      await Promise.all(serves.map((s) => s.stop()));
      await workers.close();
      await client.connection.close();
      s3.destroy();
      await minio?.stop();
      await temporal?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
