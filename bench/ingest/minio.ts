import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createReadStream, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { startMinio, type MinioServer } from "../../src/devstack/minio.js";
import { ensureTool } from "../../src/devstack/tools.js";
import type { LoadTarget } from "./load.js";

const BUCKET = "bench";

/** A loopback MinIO for the bench plus the load-scenario target that writes into it. */
export interface BenchMinio {
  server: MinioServer;
  target: LoadTarget;
  /** The S3 endpoint and credentials a worker needs to read `s3://` sources from it. */
  s3Env: Record<string, string>;
  /** PUTs a local file as `s3://bench/<key>` and returns that URI. */
  upload(path: string, key: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts MinIO (binary from `tidemark tools install`) with a `bench` bucket under `dir`. */
export async function startBenchMinio(dir: string): Promise<BenchMinio> {
  const binary = await ensureTool("minio");
  const dataDir = join(dir, "minio");
  mkdirSync(dataDir, { recursive: true });
  const server = await startMinio({ binary, dataDir, buckets: [BUCKET] });
  const credentials = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
  const s3 = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials });
  const s3Env = { AWS_ENDPOINT_URL_S3: server.endpoint, AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region };
  const target: LoadTarget = {
    suffix: "-minio",
    storeUrl: `s3://${BUCKET}/tidemark`,
    workerExtra: s3Env,
    duckUpload: async (body) => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "duckdb/v1.parquet", Body: body }));
    },
    deltaTable: (i, variant) => `s3://${BUCKET}/deltars/${variant}_${i}`,
    deltaStorage: {
      AWS_ENDPOINT_URL: server.endpoint,
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_REGION: server.region,
      AWS_ALLOW_HTTP: "true",
      AWS_S3_ALLOW_UNSAFE_RENAME: "true",
    },
  };
  return {
    server,
    target,
    s3Env,
    upload: async (path, key) => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: createReadStream(path), ContentLength: statSync(path).size }));
      return `s3://${BUCKET}/${key}`;
    },
    stop: async () => {
      s3.destroy();
      await server.stop();
    },
  };
}
