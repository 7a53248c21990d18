/** Opening a source by its URI (`file://` or a bare path, `https://`/`http://`, `s3://`) after the worker's policy allows it. */
import type { S3Client } from "@aws-sdk/client-s3";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { HostResolver } from "./address";
import { checkFileSource, type SourcePolicy } from "./allow";
import { SourceNotFoundError, UnsupportedSourceError } from "./errors";
import { openHttp } from "./open-http";
import { openS3 } from "./open-s3";
import { redactUri } from "./redact";

export { redactUri } from "./redact";

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
  /** The `statfs` type of a local source's filesystem (default {@link filesystemType}): only a local filesystem's stat is recorded as the file's validator. */
  filesystemType?: (path: string) => Promise<number | null>;
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
