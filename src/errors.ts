/**
 * Typed errors shared by every layer. Each class has a stable `name` (used by
 * Temporal retry policies as the failure type) and a message that says what to
 * do next.
 */

/** Base class of every Tidemark error. `retryable` tells Temporal whether to retry. */
export class TidemarkError extends Error {
  /** Whether retrying the same operation can succeed. */
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The object does not exist. */
export class NotFoundError extends TidemarkError {
  override readonly retryable = true;
  constructor(readonly key: string, message = `Object "${key}" does not exist; check the key or publish it first.`) {
    super(message);
  }
}

/** A create-only write found the object already there. */
export class AlreadyExistsError extends TidemarkError {
  override readonly retryable = true;
  constructor(readonly key: string, message = `Object "${key}" already exists and is create-only; write a new key instead.`) {
    super(message);
  }
}

/** A conditional update (compare-and-swap) lost: the object changed or is gone. */
export class PreconditionFailedError extends TidemarkError {
  override readonly retryable = true;
  constructor(readonly key: string, readonly expectedEtag: string | null, message?: string) {
    super(
      message ??
        `Object "${key}" no longer has etag ${expectedEtag ?? "(absent)"}; another writer changed it, so re-read it and retry.`,
    );
  }
}

/** A create-only object exists with different content than a retry tried to write. */
export class ConflictingObjectError extends TidemarkError {
  constructor(readonly key: string, message = `Object "${key}" already exists with different content: an earlier attempt wrote other bytes (on a worker of another release, see README "Upgrading workers") or a create-only key was reused; start the run again, and run "tidemark verify" on the dataset if it recurs.`) {
    super(message);
  }
}

/** A version's manifest named by the chain (the pointer or a child's parent) is missing: the chain is broken; retrying cannot help. */
export class BrokenChainError extends TidemarkError {}

/** The store refused our credentials or permissions (permanent until fixed). */
export class StoreAccessDeniedError extends TidemarkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The store location itself is missing or misconfigured (bucket, root directory). */
export class StoreConfigError extends TidemarkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A transient store failure (network, 5xx, throttling): safe to retry with backoff. */
export class StoreUnavailableError extends TidemarkError {
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A create sent once (`sendOnce`) got no answer: the object may or may not have been written, and it
 * was not sent again. Whatever depended on the write is not acknowledged; write it again under a new key.
 */
export class WriteOutcomeUnknownError extends StoreUnavailableError {}

/** An object key that the store cannot represent safely (e.g. `..` segments, absolute paths). */
export class InvalidKeyError extends TidemarkError {
  constructor(readonly key: string, message = `Object key "${key}" is invalid: keys are relative, "/"-separated and contain no "." or ".." segments.`) {
    super(message);
  }
}

/**
 * A source is over one of the worker's size limits (bytes, rows, columns, row bytes, JSON depth, XLSX
 * cells), found while streaming it. Permanent: the same source is over the same limit again.
 */
export class LimitExceededError extends TidemarkError {
  constructor(readonly variable: string, message: string) {
    super(message);
  }
}
