import {
  AlreadyExistsError,
  NotFoundError,
  PreconditionFailedError,
  StoreAccessDeniedError,
  StoreConfigError,
  StoreUnavailableError,
  TidemarkError,
} from "../errors.js";

/** What an S3 call was doing, which decides how a status code is reported. */
export type S3Op = "read" | "list" | "delete" | "overwrite" | "create" | "update";

/** Context of {@link mapS3Error}. */
export interface S3ErrorContext {
  key: string;
  op: S3Op;
  /** The etag an `update` expected. */
  etag?: string;
  bucket: string;
  url: string;
}

interface ServiceErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const ACCESS_NAMES = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "CredentialsProviderError",
]);
const REGION_NAMES = new Set(["PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"]);
const TRANSIENT_NAMES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestTimeout",
  "RequestTimeTooSkewed",
  "TimeoutError",
  "InternalError",
  "ServiceUnavailable",
  "XMinioServerNotInitialized",
]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"]);

function shape(e: unknown): ServiceErrorShape {
  return typeof e === "object" && e !== null ? (e as ServiceErrorShape) : {};
}

/** True for 409 ConditionalRequestConflict: a concurrent conditional write on the same key. */
export function isConditionalConflict(e: unknown): boolean {
  const s = shape(e);
  return s.$metadata?.httpStatusCode === 409 && (s.name ?? s.Code) === "ConditionalRequestConflict";
}

/** Maps an AWS SDK failure to the typed errors of `src/errors.ts`, by HTTP status and error name. */
export function mapS3Error(e: unknown, ctx: S3ErrorContext): Error {
  if (e instanceof TidemarkError) return e;
  const s = shape(e);
  const name = s.name ?? s.Code ?? "";
  const status = s.$metadata?.httpStatusCode;
  const what = `${ctx.op} of "${ctx.key}" in ${ctx.url}`;
  if (name === "NoSuchBucket") {
    return new StoreConfigError(
      `Bucket "${ctx.bucket}" does not exist (${what}); create it first (e.g. "aws s3 mb s3://${ctx.bucket}" or "mc mb <alias>/${ctx.bucket}") or point TIDEMARK_STORE at an existing bucket.`,
      { cause: e },
    );
  }
  // The SDK's region chain found nothing (no AWS_REGION, no profile region): a plain Error, thrown before any request.
  if (status === undefined && e instanceof Error && e.message === "Region is missing") {
    return new StoreConfigError(`No AWS region is set for ${what}; set AWS_REGION (or AWS_ENDPOINT_URL_S3 for an S3-compatible store such as MinIO) where the CLI and the worker run.`, {
      cause: e,
    });
  }
  // An upload aborted or expired under us: the whole putStream has to be retried.
  if (name === "NoSuchUpload") return new StoreUnavailableError(`Multipart upload vanished during ${what}; retry the write.`, { cause: e });
  const conditionFailed = status === 412 || name === "PreconditionFailed" || isConditionalConflict(e);
  // If-Match on a missing key answers 404 NoSuchKey (AWS and MinIO), which for a CAS means the precondition failed.
  if (ctx.op === "update" && (conditionFailed || status === 404)) return new PreconditionFailedError(ctx.key, ctx.etag ?? null);
  if (ctx.op === "create" && conditionFailed) return new AlreadyExistsError(ctx.key);
  // HEAD responses carry no body, so a missing key surfaces as a bare "NotFound" with status 404.
  if (status === 404 || name === "NoSuchKey" || name === "NotFound") return new NotFoundError(ctx.key);
  if (status === 403 || ACCESS_NAMES.has(name)) {
    return new StoreAccessDeniedError(
      `Access denied for ${what} (${name || status}); check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_PROFILE) and the bucket policy.`,
      { cause: e },
    );
  }
  if (status === 301 || REGION_NAMES.has(name)) {
    return new StoreConfigError(`Bucket "${ctx.bucket}" is in another region or endpoint (${name || status}); set AWS_REGION / AWS_ENDPOINT_URL_S3 to match it.`, {
      cause: e,
    });
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if ((status !== undefined && (status >= 500 || status === 429)) || TRANSIENT_NAMES.has(name) || (code !== undefined && NETWORK_CODES.has(code))) {
    return new StoreUnavailableError(`S3 is unavailable for ${what} (${name || code || status}); retry with backoff.`, { cause: e });
  }
  if (status !== undefined) {
    return new StoreConfigError(`S3 rejected ${what}: ${name || "error"} (HTTP ${status}).`, { cause: e });
  }
  return e instanceof Error ? e : new Error(String(e));
}
