import { TidemarkError } from "../errors";

/** The source does not exist (404, missing file or key). Permanent. */
export class SourceNotFoundError extends TidemarkError {}

/** The source URI's scheme is not supported. Permanent. */
export class UnsupportedSourceError extends TidemarkError {}

/** The source could not be reached right now (timeout, refused connection, 5xx, throttling). Retried. */
export class SourceUnavailableError extends TidemarkError {
  override readonly retryable = true;
}
