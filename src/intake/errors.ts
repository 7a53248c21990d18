/** HTTP-facing errors of the intake server: each carries its status and one sentence. */
import { TidemarkError } from "../errors.js";

/** Extra fields of an error body, e.g. the bad record's index and field. */
export type ErrorDetails = Record<string, string | number | null>;

/**
 * A request the intake server refuses. `status` is the HTTP status, the message one sentence
 * saying what is wrong and what to do; `details` are added to the JSON body next to `error`.
 */
export class IntakeRequestError extends TidemarkError {
  constructor(
    readonly status: number,
    message: string,
    readonly details: ErrorDetails = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A pushed record is not valid for the dataset's schema (HTTP 400); nothing of its request was written. */
export class BadRecordError extends IntakeRequestError {
  constructor(message: string, readonly index: number | null, readonly field: string | null, readonly reason: string, status = 400) {
    super(status, message, { index, field, reason });
  }
}

/** The store could not take a fragment (HTTP 503); none of the group's records were acknowledged. */
export class IntakeStoreError extends IntakeRequestError {
  constructor(dataset: string, cause: unknown) {
    super(503, `The store could not be written, so the records for dataset "${dataset}" were not accepted; send them again later.`, {}, { "retry-after": "1" });
    this.cause = cause;
  }
}
