import { TidemarkError } from "../errors";

/** The source does not exist (404, missing file, key or bucket). Permanent. */
export class SourceNotFoundError extends TidemarkError {}

/** The source refused this worker's credentials (HTTP 401/403, S3 AccessDenied). Permanent until the credentials are fixed. */
export class SourceAccessDeniedError extends TidemarkError {}

/** The source URI's scheme is not supported. Permanent. */
export class UnsupportedSourceError extends TidemarkError {}

/** The source could not be reached right now (timeout, refused connection, 5xx, throttling). Retried. */
export class SourceUnavailableError extends TidemarkError {
  override readonly retryable = true;
}

/** The source stayed unreachable on every attempt of the fetch's budget (`TIDEMARK_SOURCE_ATTEMPTS`). Final. */
export class SourceUnreachableError extends TidemarkError {}

/**
 * The source is outside what this worker may read (`TIDEMARK_SOURCE_ALLOW`, or the closed defaults):
 * refused before any disk or network access. Permanent.
 */
export class SourceNotAllowedError extends TidemarkError {}

/** A webhook URL is outside what this worker may call (`TIDEMARK_WEBHOOK_ALLOW`, or https to public addresses). Permanent. */
export class WebhookNotAllowedError extends TidemarkError {}

/** A local source file changed while it was being read, so the bytes read may mix two versions of it. Retried. */
export class SourceChangedError extends TidemarkError {
  override readonly retryable = true;
}
