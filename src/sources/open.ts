import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { SourceNotFoundError, SourceUnavailableError, UnsupportedSourceError } from "./errors";

/** An opened source: a byte stream plus what the origin said about it. */
export interface OpenedSource {
  stream: Readable;
  /** Origin's etag (HTTP ETag, S3 ETag) or null. */
  etag: string | null;
  /** Size announced by the origin, if any. */
  size: number | null;
}

/** What opening sources needs from the outside world. */
export interface SourceDeps {
  /** An S3 client for `s3://` sources. */
  s3Client?: () => S3Client;
  /** Milliseconds to wait for an HTTP response's headers. */
  httpTimeoutMs?: number;
  /** Aborts the request (activity cancellation). */
  signal?: AbortSignal;
}

/** A URI with any userinfo removed, safe to log and to record in manifests. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.username || url.password) {
      url.username = "";
      url.password = "";
    }
    return url.toString();
  } catch {
    return uri;
  }
}

async function openFile(uri: string): Promise<OpenedSource> {
  const path = uri.startsWith("file://") ? fileURLToPath(uri) : uri;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SourceNotFoundError(`Source ${uri} is not a file; point source.uri at a file.`);
    return { stream: createReadStream(path, { highWaterMark: 1 << 20 }), etag: null, size: info.size };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new SourceNotFoundError(`Source file ${path} does not exist; check source.uri or pass --source.`);
    throw err;
  }
}

/** Moves URL userinfo into a Basic `Authorization` header: fetch refuses URLs that carry credentials. */
export function withBasicAuth(uri: string): { url: string; headers: Record<string, string> } {
  const url = new URL(uri);
  if (!url.username && !url.password) return { url: uri, headers: {} };
  const token = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64");
  url.username = "";
  url.password = "";
  return { url: url.toString(), headers: { authorization: `Basic ${token}` } };
}

async function openHttp(uri: string, deps: SourceDeps): Promise<OpenedSource> {
  const shown = redactUri(uri);
  let res: Response;
  try {
    const timeout = AbortSignal.timeout(deps.httpTimeoutMs ?? 30_000);
    const { url, headers } = withBasicAuth(uri);
    res = await fetch(url, { headers, signal: deps.signal ? AbortSignal.any([timeout, deps.signal]) : timeout, redirect: "follow" });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new SourceUnavailableError(`Source ${shown} could not be reached (${cause}); it will be retried — check the URL and that the server is up.`);
  }
  if (res.status === 404 || res.status === 410) throw new SourceNotFoundError(`Source ${shown} answered ${res.status} (not found); check source.uri.`);
  if (res.status === 401 || res.status === 403) throw new SourceNotFoundError(`Source ${shown} answered ${res.status} (access denied); check its credentials or URL.`);
  if (!res.ok || !res.body) throw new SourceUnavailableError(`Source ${shown} answered HTTP ${res.status}; it will be retried.`);
  const length = res.headers.get("content-length");
  return {
    stream: Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>),
    etag: res.headers.get("etag"),
    size: length ? Number(length) : null,
  };
}

async function openS3(uri: string, deps: SourceDeps): Promise<OpenedSource> {
  const url = new URL(uri);
  const bucket = url.hostname;
  const key = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!deps.s3Client) throw new UnsupportedSourceError(`Source ${uri} needs S3 access, which this worker was not given.`);
  try {
    const res = await deps.s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { stream: res.Body as Readable, etag: res.ETag?.replace(/"/g, "") ?? null, size: res.ContentLength ?? null };
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    if (status === 404 || e.name === "NoSuchKey" || e.name === "NoSuchBucket") throw new SourceNotFoundError(`Source ${uri} does not exist (${e.name}); check source.uri.`);
    if (status === 403) throw new SourceNotFoundError(`Source ${uri} is not readable with this worker's credentials (403); grant s3:GetObject or fix the URI.`);
    throw new SourceUnavailableError(`Source ${uri} could not be read (${e.name ?? "error"}); it will be retried.`);
  }
}

/** Opens a `file://`, `https://`/`http://` or `s3://` source as a stream. A bare path counts as a file. */
export async function openSource(uri: string, deps: SourceDeps = {}): Promise<OpenedSource> {
  if (uri.startsWith("file://") || uri.startsWith("/")) return openFile(uri);
  if (uri.startsWith("https://") || uri.startsWith("http://")) return openHttp(uri, deps);
  if (uri.startsWith("s3://")) return openS3(uri, deps);
  throw new UnsupportedSourceError(`Source ${redactUri(uri)} has an unsupported scheme; use file://, https:// or s3://.`);
}
