import type { GetObjectCommandOutput, S3Client } from "@aws-sdk/client-s3";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { systemResolver, type HostResolver, type ResolvedAddress } from "./address";
import { checkFileSource, checkHttpTarget, checkS3Source, type SourcePolicy } from "./allow";
import { decodedStream } from "./content-encoding";
import { lastingEtag } from "./http-etag";
import { SourceAccessDeniedError, SourceNotAllowedError, SourceNotFoundError, SourceUnavailableError, SourceUnreachableError, UnsupportedSourceError } from "./errors";

/** Milliseconds an HTTP source has to answer with its headers, unless `TIDEMARK_SOURCE_TIMEOUT_MS` says otherwise. */
export const DEFAULT_SOURCE_TIMEOUT_MS = 30_000;

/** Longest pause in an HTTP source's body before the fetch fails and is retried, unless `TIDEMARK_SOURCE_IDLE_MS` says otherwise. */
export const DEFAULT_SOURCE_IDLE_MS = 300_000;
/** Attempts of a fetch before an unreachable source fails the run, unless `TIDEMARK_SOURCE_ATTEMPTS` says otherwise (the ingest workflow's own retry limit). */
export const DEFAULT_SOURCE_ATTEMPTS = 20;

/** An opened source: a byte stream plus what the origin said about it. */
export interface OpenedSource {
  stream: Readable;
  /** Origin's etag (S3 ETag; HTTP ETag unless the answer was modified too recently to trust it, see {@link lastingEtag}) or null. */
  etag: string | null;
  /** Size announced by the origin, if any (none when the stream is decoded from a `Content-Encoding`). */
  size: number | null;
}

/** What opening sources needs from the outside world. */
export interface SourceDeps {
  /** An S3 client for `s3://` sources. */
  s3Client?: () => S3Client;
  /** Milliseconds to wait for an HTTP response's headers (default {@link DEFAULT_SOURCE_TIMEOUT_MS}). */
  httpTimeoutMs?: number;
  /** Longest pause in an HTTP response's body (default {@link DEFAULT_SOURCE_IDLE_MS}). */
  httpIdleMs?: number;
  /** Attempts after which an unreachable source is a final {@link SourceUnreachableError} (default {@link DEFAULT_SOURCE_ATTEMPTS}). */
  attempts?: number;
  /** Whether an HTTP body framed only by the end of the connection is read (see {@link UNFRAMED_VAR}); refused by default. */
  acceptUnframed?: boolean;
  /** The current attempt (1-based) of the fetch, from the activity context. */
  attempt?: number;
  /** Aborts the request (activity cancellation). */
  signal?: AbortSignal;
  /** What may be opened (closed defaults when absent: files under the working directory, public HTTP(S), no S3). */
  policy?: SourcePolicy;
  /** Resolves HTTP(S) host names before the address check (the system resolver by default). */
  resolve?: HostResolver;
}

/**
 * A URI safe to log and to record in manifests and histories: userinfo removed, every query value
 * and the fragment replaced by `redacted` (presigned signatures, `?token=`, …).
 */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    url.username = "";
    url.password = "";
    const names = [...url.searchParams.keys()];
    const base = `${url.protocol}//${url.host}${url.pathname}`;
    const query = url.search === "" ? "" : `?${names.length ? names.map((n) => `${encodeURIComponent(n)}=redacted`).join("&") : "redacted"}`;
    return `${url.protocol === "file:" ? url.href.split(/[?#]/)[0] : base}${query}${url.hash ? "#redacted" : ""}`;
  } catch {
    return uri.replace(/[?#].*$/s, "?redacted");
  }
}

/** The local path a source reads: a `file://` URI's, or a bare absolute path (`--source /data/x.csv`); null for every other source. */
export function localSourcePath(uri: string): string | null {
  if (uri.startsWith("file://")) return fileURLToPath(uri);
  return uri.startsWith("/") ? uri : null;
}

async function openFile(uri: string, local: string, policy: SourcePolicy): Promise<OpenedSource> {
  const shown = redactUri(uri);
  const path = await checkFileSource(shown, local, policy);
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SourceNotFoundError(`Source ${shown} is not a file; point source.uri at a file.`);
    return { stream: createReadStream(path, { highWaterMark: 1 << 20 }), etag: null, size: info.size };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new SourceNotFoundError(`Source file ${shown} does not exist; check source.uri or pass --source.`);
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

/** The worker variable that, set to `accept`, lets HTTP sources send bodies framed only by the end of the connection. */
export const UNFRAMED_VAR = "TIDEMARK_SOURCE_UNFRAMED";

function chunked(res: IncomingMessage): boolean {
  return /(^|,)\s*chunked\s*$/i.test(res.headers["transfer-encoding"] ?? "");
}

/** Whether the outermost coding of a body ends with its own trailer (gzip, deflate, br), so a cut body fails to decode. */
function selfDelimiting(contentEncoding: string | undefined): boolean {
  const codings = (contentEncoding ?? "").split(",").map((c) => c.trim().toLowerCase()).filter((c) => c !== "" && c !== "identity");
  return codings.length > 0 && ["gzip", "x-gzip", "deflate", "br"].includes(codings[codings.length - 1]);
}

/** Redirects an HTTP source may take before it is refused. */
export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A `lookup` for `http.request` that answers with the already-checked address (no second DNS answer to trust). */
export function pinnedLookup(target: ResolvedAddress) {
  return (_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

/** Every source request asks caches on the way (a CDN, a proxy) for the origin's current bytes: a stale copy would publish an older version after a newer one. */
const FROM_ORIGIN = { "cache-control": "no-cache" };

function request(url: URL, target: ResolvedAddress, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  const get = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolvePromise, reject) => {
    const req = get(url, { headers: { ...FROM_ORIGIN, ...headers }, signal, lookup: pinnedLookup(target) as never }, resolvePromise);
    req.on("error", reject);
    req.end();
  });
}

async function openHttp(uri: string, deps: SourceDeps, policy: SourcePolicy, ifNoneMatch: string | null): Promise<OpenedSource | null> {
  const shown = redactUri(uri);
  const resolver = deps.resolve ?? systemResolver;
  const timeoutMs = deps.httpTimeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
  const headersTimeout = new AbortController();
  const timer = setTimeout(() => headersTimeout.abort(new Error("timeout")), timeoutMs);
  const signal = deps.signal ? AbortSignal.any([headersTimeout.signal, deps.signal]) : headersTimeout.signal;
  const first = withBasicAuth(uri);
  let url = new URL(first.url);
  let headers = ifNoneMatch === null ? first.headers : { ...first.headers, "if-none-match": ifNoneMatch };
  let res: IncomingMessage;
  try {
    for (let hop = 0; ; hop++) {
      const hopShown = redactUri(url.href);
      const target = await checkHttpTarget(hopShown, url, policy, resolver, hop === 0 ? "Source" : `Source ${shown} redirected to`);
      try {
        res = await request(url, target, headers, signal);
      } catch (err) {
        if (deps.signal?.aborted) throw err;
        const { what, fix } = networkProblem(err, headersTimeout.signal.aborted, timeoutMs);
        throw unavailable(shown, what, fix, deps);
      }
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode ?? 0) || !location) break;
      res.resume();
      if (hop + 1 > MAX_REDIRECTS) throw new SourceNotAllowedError(`Source ${shown} redirected more than ${MAX_REDIRECTS} times; point source.uri at the final URL.`);
      const next = new URL(location, url);
      if (next.protocol !== "http:" && next.protocol !== "https:") throw new SourceNotAllowedError(`Source ${shown} redirected to a ${next.protocol} URL, which is not allowed; point source.uri at the final URL.`);
      const { "if-none-match": _condition, ...kept } = headers;
      headers = next.origin === url.origin ? kept : {};
      url = next;
    }
  } finally {
    clearTimeout(timer);
  }
  const status = res.statusCode ?? 0;
  const drop = () => res.resume();
  if (status === 304 && headers["if-none-match"] !== undefined) {
    drop();
    const etag = res.headers.etag;
    return etag === undefined || etag === ifNoneMatch ? null : openHttp(uri, deps, policy, null);
  }
  if (status === 404 || status === 410) {
    drop();
    throw new SourceNotFoundError(`Source ${shown} answered HTTP ${status} (not found); check the URL in source.uri, or pass the right one with --source.`);
  }
  if (status === 401 || status === 403) {
    drop();
    throw new SourceAccessDeniedError(`Source ${shown} answered HTTP ${status} (access denied); check the credentials in source.uri or the server's permissions.`);
  }
  if (status < 200 || status >= 300) {
    drop();
    throw unavailable(shown, `answered HTTP ${status}`, "check the server's health, then run the ingest again", deps);
  }
  const idleMs = deps.httpIdleMs ?? DEFAULT_SOURCE_IDLE_MS;
  res.setTimeout(idleMs, () =>
    res.destroy(unavailable(shown, `sent nothing for ${seconds(idleMs)} in the middle of its body`, "check the server's health, or raise TIDEMARK_SOURCE_IDLE_MS", deps)),
  );
  const length = res.headers["content-length"];
  if (length === undefined && !chunked(res) && !selfDelimiting(res.headers["content-encoding"]) && !deps.acceptUnframed) {
    drop();
    throw new UnsupportedSourceError(
      `Source ${shown} sent its body without Content-Length or chunked encoding, so a connection cut short would look like the whole file and publish its missing rows as deleted; ` +
        `have the server send Content-Length (or gzip the body), or set ${UNFRAMED_VAR}=accept on the worker to read such bodies anyway.`,
    );
  }
  const decoded = decodedStream(res, res.headers["content-encoding"], shown);
  return { stream: decoded ?? res, etag: lastingEtag(res.headers, Date.now()), size: decoded ? null : length ? Number(length) : null };
}

const S3_ACCESS_NAMES = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "CredentialsProviderError"]);

async function openS3(uri: string, deps: SourceDeps, policy: SourcePolicy, ifNoneMatch: string | null): Promise<OpenedSource | null> {
  const url = new URL(uri);
  const shown = redactUri(uri);
  checkS3Source(shown, url, policy);
  const bucket = url.hostname;
  const key = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!deps.s3Client) throw new UnsupportedSourceError(`Source ${shown} needs S3 access, which this worker was not given; start the worker with S3 credentials.`);
  let res: GetObjectCommandOutput;
  try {
    const condition = ifNoneMatch === null ? {} : { IfNoneMatch: `"${ifNoneMatch}"` };
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    res = await deps.s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key, ...condition }));
  } catch (err) {
    const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    if (status === 304 && ifNoneMatch !== null) return null;
    if (e.name === "NoSuchBucket") throw new SourceNotFoundError(`Source ${shown} cannot be read because bucket "${bucket}" does not exist; check the bucket in source.uri.`);
    if (status === 404 || e.name === "NoSuchKey") throw new SourceNotFoundError(`Source ${shown} does not exist; check the key in source.uri, or pass the right one with --source.`);
    if (status === 403 || (e.name !== undefined && S3_ACCESS_NAMES.has(e.name))) {
      throw new SourceAccessDeniedError(`Source ${shown} is not readable with this worker's S3 credentials (${e.name ?? status}); check the worker's AWS credentials and that they may s3:GetObject it.`);
    }
    if (status === undefined) {
      const { what } = networkProblem(err, e.name === "TimeoutError", DEFAULT_SOURCE_TIMEOUT_MS);
      throw unavailable(shown, what, "check AWS_ENDPOINT_URL_S3 and the worker's network", deps);
    }
    throw unavailable(shown, `could not be read (${e.name ?? `HTTP ${status}`})`, "check the S3 service's health, then run the ingest again", deps);
  }  const body = res.Body as Readable;
  const decoded = decodedStream(body, res.ContentEncoding, shown);
  return { stream: decoded ?? body, etag: res.ETag?.replace(/"/g, "") ?? null, size: decoded ? null : (res.ContentLength ?? null) };
}

/** `deps.policy`, or for a caller that gave none: files under the working directory only, public HTTP(S), no S3. */
export function policyOf(deps: SourceDeps): SourcePolicy {
  return deps.policy ?? { allow: null, fileRoots: [process.cwd()], storeBucket: null };
}

/**
 * Opens a `file://`, `https://`/`http://` or `s3://` source as a stream, after checking it against
 * `deps.policy` (refused with {@link SourceNotAllowedError} before any access). A bare path counts as a file.
 */
export async function openSource(uri: string, deps: SourceDeps = {}): Promise<OpenedSource> {
  const opened = await openSourceUnless(uri, null, deps);
  if (opened === null) throw new Error(`Source ${redactUri(uri)} was opened without a condition yet answered "not modified"`);
  return opened;
}

/**
 * As {@link openSource}, for an `https://`, `http://` or `s3://` source known by its strong `etag`:
 * the request carries `If-None-Match`, and null means the origin answered 304 (still that ETag,
 * nothing downloaded). An HTTP redirect drops the condition (the next address is fetched in full).
 */
export async function openSourceIfChanged(uri: string, etag: string, deps: SourceDeps = {}): Promise<OpenedSource | null> {
  return openSourceUnless(uri, etag, deps);
}

async function openSourceUnless(uri: string, ifNoneMatch: string | null, deps: SourceDeps): Promise<OpenedSource | null> {
  const policy = policyOf(deps);
  const local = localSourcePath(uri);
  if (local !== null) return openFile(uri, local, policy);
  if (uri.startsWith("https://") || uri.startsWith("http://")) return openHttp(uri, deps, policy, ifNoneMatch);
  if (uri.startsWith("s3://")) return openS3(uri, deps, policy, ifNoneMatch);
  if (uri.startsWith("push:")) {
    const dataset = uri.slice("push:".length);
    throw new UnsupportedSourceError(
      `Source push:${dataset} is the inbox of push dataset ${dataset}, which only its own ingest compacts; run "tidemark ingest ${dataset}" without --source, or send records to tidemark serve (POST /v1/datasets/${dataset}/records).`,
    );
  }
  throw new UnsupportedSourceError(`Source ${redactUri(uri)} has an unsupported scheme; use file://, https:// or s3://.`);
}
