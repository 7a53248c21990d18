import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { freePort, waitFor } from "./ports";
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

/** Starts MinIO on 127.0.0.1 with a data directory, waits for it to be live and creates the buckets. */
export async function startMinio(options: MinioOptions): Promise<MinioServer> {
  const port = options.port ?? (await freePort());
  const consolePort = await freePort();
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
    await waitFor(async () => (await fetch(`${endpoint}/minio/health/live`)).ok, {
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
    await proc.stop(1000);
    throw new Error(`${(err as Error).message}\n${proc.tail()}`);
  }
  return { endpoint, region: "us-east-1", accessKeyId, secretAccessKey, process: proc, stop: () => proc.stop() };
}
