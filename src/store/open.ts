import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { isAbsolute } from "node:path";
import { assertValidKey } from "./keys.js";
import { badUrl, decode, openFileStore } from "./open-file.js";
import { S3ObjectStore } from "./s3.js";
import type { ObjectStore } from "./types.js";

/** Injectable dependencies of {@link openStore}. */
export interface OpenStoreDeps {
  /** S3 client to use instead of one built from the environment. */
  s3Client?: S3Client;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** A request whose connection is silent this long fails (and is retried) instead of hanging. */
export const S3_SOCKET_IDLE_TIMEOUT_MS = 30_000;

/**
 * An S3 client from the AWS SDK default chain; `AWS_ENDPOINT_URL_S3` selects an S3-compatible
 * endpoint. `overrides` (endpoint, credentials…) take precedence over the environment.
 */
export function defaultS3Client(overrides: S3ClientConfig = {}): S3Client {
  const endpoint = overrides.endpoint ?? (process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined);
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || (endpoint ? "us-east-1" : undefined);
  return new S3Client({
    region,
    endpoint,
    // Custom endpoints (MinIO and most S3-compatibles) need path-style addressing: no per-bucket DNS names.
    forcePathStyle: endpoint !== undefined,
    // The SDK sets no socket timeout by default: a stalled connection would hang the call, and a heartbeating activity, for hours.
    requestHandler: { connectionTimeout: 10_000, socketTimeout: S3_SOCKET_IDLE_TIMEOUT_MS },
    ...overrides,
  });
}

function openS3(url: string, deps: OpenStoreDeps): ObjectStore {
  const rest = url.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (!BUCKET_NAME.test(bucket)) throw badUrl(url, `"${bucket}" is not a valid bucket name`);
  const prefix = decode(url, slash === -1 ? "" : rest.slice(slash + 1)).replace(/\/+$/, "");
  if (prefix !== "") {
    try {
      assertValidKey(prefix);
    } catch {
      throw badUrl(url, `the prefix "${prefix}" has empty, "." or ".." segments`);
    }
  }
  return new S3ObjectStore({ client: deps.s3Client ?? defaultS3Client(), bucket, prefix });
}

/**
 * Opens the store named by `url`: `file:///abs/dir`, `file://./rel/dir` (relative to the
 * working directory) or `s3://bucket/prefix`. Without `deps.s3Client`, S3 uses the AWS SDK
 * default credential chain, `AWS_REGION` and `AWS_ENDPOINT_URL_S3` (path-style when set).
 * Throws {@link StoreConfigError} for anything else.
 */
export function openStore(url: string, deps: OpenStoreDeps = {}): ObjectStore {
  if (url.startsWith("file://")) return openFileStore(url);
  if (url.startsWith("s3://")) return openS3(url, deps);
  if (isAbsolute(url)) throw badUrl(url, `a bare path is not a URL (did you mean file://${url}?)`);
  throw badUrl(url, "the scheme is not file:// or s3://");
}
