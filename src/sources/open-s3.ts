/** Opening an `s3://` source with the worker's S3 client. */
import type { GetObjectCommandOutput } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import { checkS3Source, type SourcePolicy } from "./allow";
import { decodedStream } from "./content-encoding";
import { SourceAccessDeniedError, SourceNotFoundError, UnsupportedSourceError } from "./errors";
import { DEFAULT_SOURCE_TIMEOUT_MS } from "./limits";
import type { OpenedSource, SourceDeps } from "./open";
import { redactUri } from "./redact";
import { networkProblem, unavailable } from "./source-failure";

const S3_ACCESS_NAMES = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "CredentialsProviderError"]);

/** Opens an S3 source; null when `ifNoneMatch` is set and S3 confirmed it (304). */
export async function openS3(uri: string, deps: SourceDeps, policy: SourcePolicy, ifNoneMatch: string | null): Promise<OpenedSource | null> {
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
  }
  const body = res.Body as Readable;
  const decoded = decodedStream(body, res.ContentEncoding, shown);
  return { stream: decoded ?? body, etag: res.ETag?.replace(/"/g, "") ?? null, size: decoded ? null : (res.ContentLength ?? null) };
}
