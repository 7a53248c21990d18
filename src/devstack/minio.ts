import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { failedStart, freePort, startOnFreshPorts, waitFor } from "./ports";
import { startProcess, type ManagedProcess } from "./process";

/** Options of `startMinio`. */
export interface MinioOptions {
  binary: string;
  dataDir: string;
  port?: number;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Buckets created once the server is up. */
  buckets?: string[];
  startTimeoutMs?: number;
  /** More environment for the MinIO process (e.g. `MINIO_AUDIT_WEBHOOK_*`). */
  env?: Record<string, string>;
  /** Where free ports come from (default: asked of the OS, {@link freePort}); a test hands out a taken one. */
  pickPort?: () => Promise<number>;
}

/** A running MinIO server on loopback. */
export interface MinioServer {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts MinIO on 127.0.0.1 with a data directory, waits for it to be live and creates the buckets.
 * Its ports are asked of the OS first and bound by MinIO later, so another process starting at the
 * same time (a Temporal dev server picks its own) can take one between the two: MinIO then exits
 * with "port is already in use", and it is started again on new ports (the API port too, unless
 * `options.port` fixes it), three attempts in all (`PORT_ATTEMPTS`, src/devstack/ports.ts).
 */
export async function startMinio(options: MinioOptions): Promise<MinioServer> {
  const pick = options.pickPort ?? freePort;
  return startOnFreshPorts(async () => startOnce(options, options.port ?? (await pick()), await pick()));
}

/**
 * Longest wait for one answer of the liveness probe: whatever holds a taken port may accept the
 * connection and never answer, and the probe must come back to notice that MinIO exited.
 */
const PROBE_TIMEOUT_MS = 2000;

async function startOnce(options: MinioOptions, port: number, consolePort: number): Promise<MinioServer> {
  const accessKeyId = options.accessKeyId ?? "tidemark";
  const secretAccessKey = options.secretAccessKey ?? "tidemark-secret";
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = startProcess(
    options.binary,
    ["server", options.dataDir, "--address", `127.0.0.1:${port}`, "--console-address", `127.0.0.1:${consolePort}`, "--quiet"],
    {
      name: "MinIO",
      env: {
        ...process.env,
        MINIO_ROOT_USER: accessKeyId,
        MINIO_ROOT_PASSWORD: secretAccessKey,
        MINIO_BROWSER: "off",
        MINIO_UPDATE: "off",
        MINIO_CALLHOME_ENABLE: "off",
        ...options.env,
      },
    },
  );
  try {
    await waitFor(async () => (await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })).ok, {
      timeoutMs: options.startTimeoutMs ?? 30_000,
      describe: `MinIO on ${endpoint}`,
      abort: proc.exited,
    });
    const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
    try {
      for (const bucket of options.buckets ?? []) await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
  } catch (err) {
    throw await failedStart(proc, err, /port is already in use/i, true);
  }
  return { endpoint, region: "us-east-1", accessKeyId, secretAccessKey, process: proc, stop: () => proc.stop() };
}
