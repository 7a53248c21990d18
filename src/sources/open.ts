import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { SourceAccessDeniedError, SourceNotFoundError, SourceUnavailableError, SourceUnreachableError, UnsupportedSourceError } from "./errors";

/** Milliseconds an HTTP source has to answer with its headers, unless `TIDEMARK_SOURCE_TIMEOUT_MS` says otherwise. */
export const DEFAULT_SOURCE_TIMEOUT_MS = 30_000;
/** Attempts of a fetch before an unreachable source fails the run, unless `TIDEMARK_SOURCE_ATTEMPTS` says otherwise (the ingest workflow's own retry limit). */
export const DEFAULT_SOURCE_ATTEMPTS = 20;

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
  /** Milliseconds to wait for an HTTP response's headers (default {@link DEFAULT_SOURCE_TIMEOUT_MS}). */
  httpTimeoutMs?: number;
  /** Attempts after which an unreachable source is a final {@link SourceUnreachableError} (default {@link DEFAULT_SOURCE_ATTEMPTS}). */
  attempts?: number;
  /** The current attempt (1-based) of the fetch, from the activity context. */
  attempt?: number;
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

/**
 * The error of a transient source failure: retryable while attempts remain, else a final
 * {@link SourceUnreachableError}. `what` says what happened; `fix` what to check.
 */
function unavailable(shown: string, what: string, fix: string, deps: SourceDeps): Error {
  const attempts = deps.attempts ?? DEFAULT_SOURCE_ATTEMPTS;
  const attempt = deps.attempt ?? 1;
  if (attempt >= attempts) {
    const tries = attempts === 1 ? "" : ` on all ${attempts} attempts`;
    return new SourceUnreachableError(`Source ${shown} ${what}${tries}; ${fix}.`);
  }
  return new SourceUnavailableError(`Source ${shown} ${what} (attempt ${attempt} of ${attempts}); it will be retried.`);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function networkProblem(err: unknown, timedOut: boolean, timeoutMs: number): { what: string; fix: string } {
  if (timedOut) return { what: `did not answer within ${seconds(timeoutMs)}`, fix: "check that the server is up and reachable from the worker, or raise TIDEMARK_SOURCE_TIMEOUT_MS" };
  const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  if (code === "ECONNREFUSED") return { what: "refused the connection", fix: "check the host and port in source.uri and that the server is running" };
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { what: "has a host name that does not resolve", fix: "check the host in source.uri and the worker's DNS" };
  return { what: `could not be reached (${code ?? (err as Error).name ?? "network error"})`, fix: "check source.uri and the worker's network" };
}

async function openHttp(uri: string, deps: SourceDeps): Promise<OpenedSource> {
  const shown = redactUri(uri);
  const timeoutMs = deps.httpTimeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
  const headersTimeout = new AbortController();
  const timer = setTimeout(() => headersTimeout.abort(new Error("timeout")), timeoutMs);
  let res: Response;
  try {
    const { url, headers } = withBasicAuth(uri);
    const signal = deps.signal ? AbortSignal.any([headersTimeout.signal, deps.signal]) : headersTimeout.signal;
    res = await fetch(url, { headers, signal, redirect: "follow" });
  } catch (err) {
    if (deps.signal?.aborted) throw err;
    const { what, fix } = networkProblem(err, headersTimeout.signal.aborted, timeoutMs);
    throw unavailable(shown, what, fix, deps);
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 404 || res.status === 410) throw new SourceNotFoundError(`Source ${shown} answered HTTP ${res.status} (not found); check the URL in source.uri, or pass the right one with --source.`);
  if (res.status === 401 || res.status === 403) throw new SourceAccessDeniedError(`Source ${shown} answered HTTP ${res.status} (access denied); check the credentials in source.uri or the server's permissions.`);
  if (!res.ok || !res.body) throw unavailable(shown, `answered HTTP ${res.status}`, "check the server's health, then run the ingest again", deps);
  const length = res.headers.get("content-length");
  return {
    stream: Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>),
    etag: res.headers.get("etag"),
    size: length ? Number(length) : null,
  };
}

const S3_ACCESS_NAMES = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "CredentialsProviderError"]);

async function openS3(uri: string, deps: SourceDeps): Promise<OpenedSource> {
  const url = new URL(uri);
  const bucket = url.hostname;
  const key = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!deps.s3Client) throw new UnsupportedSourceError(`Source ${uri} needs S3 access, which this worker was not given; start the worker with S3 credentials.`);
  try {
    const res = await deps.s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { stream: res.Body as Readable, etag: res.ETag?.replace(/"/g, "") ?? null, size: res.ContentLength ?? null };
  } catch (err) {
    const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    if (e.name === "NoSuchBucket") throw new SourceNotFoundError(`Source ${uri} cannot be read because bucket "${bucket}" does not exist; check the bucket in source.uri.`);
    if (status === 404 || e.name === "NoSuchKey") throw new SourceNotFoundError(`Source ${uri} does not exist; check the key in source.uri, or pass the right one with --source.`);
    if (status === 403 || (e.name !== undefined && S3_ACCESS_NAMES.has(e.name))) {
      throw new SourceAccessDeniedError(`Source ${uri} is not readable with this worker's S3 credentials (${e.name ?? status}); check the worker's AWS credentials and that they may s3:GetObject it.`);
    }
    if (status === undefined) {
      const { what } = networkProblem(err, e.name === "TimeoutError", DEFAULT_SOURCE_TIMEOUT_MS);
      throw unavailable(uri, what, "check AWS_ENDPOINT_URL_S3 and the worker's network", deps);
    }
    throw unavailable(uri, `could not be read (${e.name ?? `HTTP ${status}`})`, "check the S3 service's health, then run the ingest again", deps);
  }
}

/** Opens a `file://`, `https://`/`http://` or `s3://` source as a stream. A bare path counts as a file. */
export async function openSource(uri: string, deps: SourceDeps = {}): Promise<OpenedSource> {
  if (uri.startsWith("file://") || uri.startsWith("/")) return openFile(uri);
  if (uri.startsWith("https://") || uri.startsWith("http://")) return openHttp(uri, deps);
  if (uri.startsWith("s3://")) return openS3(uri, deps);
  throw new UnsupportedSourceError(`Source ${redactUri(uri)} has an unsupported scheme; use file://, https:// or s3://.`);
}
