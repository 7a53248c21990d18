import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createReadStream, mkdirSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
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
  /** MinIO's audit log of the requests on `s3://bench/sources/…` (the P3 sources), in arrival order. */
  sourceRequests(): readonly AuditedRequest[];
  /** PUTs a local file as `s3://bench/<key>` and returns that URI. */
  upload(path: string, key: string): Promise<string>;
  stop(): Promise<void>;
}

/** One request MinIO's audit log reported. */
export interface AuditedRequest {
  api: string;
  object: string;
  statusCode: number;
  /** Bytes MinIO sent. */
  tx: number;
}

/**
 * A loopback HTTP endpoint for MinIO's audit webhook (`MINIO_AUDIT_WEBHOOK_*`): keeps the entries for
 * objects under `sources/`, so the bench can show which requests the `s3://` source runs made and
 * what MinIO answered (a 304 to a conditional GetObject).
 */
async function startAuditReceiver(): Promise<{ url: string; entries: AuditedRequest[]; stop(): Promise<void> }> {
  const entries: AuditedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      for (const line of body.split("\n")) {
        if (line.trim() === "") continue;
        try {
          const api = (JSON.parse(line) as { api?: { name?: string; object?: string; statusCode?: number; tx?: number } }).api;
          if (api?.object?.startsWith("sources/")) entries.push({ api: api.name ?? "?", object: api.object, statusCode: api.statusCode ?? 0, tx: api.tx ?? 0 });
        } catch {
          // not an audit entry
        }
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    entries,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts MinIO (binary from `tidemark tools install`) with a `bench` bucket under `dir`. */
export async function startBenchMinio(dir: string): Promise<BenchMinio> {
  const binary = await ensureTool("minio");
  const dataDir = join(dir, "minio");
  mkdirSync(dataDir, { recursive: true });
  const audit = await startAuditReceiver();
  const auditEnv = { MINIO_AUDIT_WEBHOOK_ENABLE_bench: "on", MINIO_AUDIT_WEBHOOK_ENDPOINT_bench: audit.url };
  let server: MinioServer;
  try {
    server = await startMinio({ binary, dataDir, buckets: [BUCKET], env: auditEnv });
  } catch (err) {
    await audit.stop();
    throw err;
  }
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
    sourceRequests: () => audit.entries,
    stop: async () => {
      s3.destroy();
      await server.stop();
      await audit.stop();
    },
  };
}
