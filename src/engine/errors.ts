/** Typed, non-retryable errors of the delta: what the source does that the dataset's policy refuses. */
import { TidemarkError } from "../errors";

/** The source has the same key on more than one row and the dataset's policy is `duplicates: error`. */
export class DuplicateKeyError extends TidemarkError {
  constructor(
    /** The duplicated key, rendered by the caller (e.g. `series_id=A, obs_date=2025-01-01`). */
    readonly key: string,
    /** 0-based source rows of the key's first two occurrences. */
    readonly rows: readonly [number, number],
    /** How many rows carry this key in all. */
    readonly occurrences: number,
    /** How many other distinct keys are duplicated too. */
    readonly otherKeys: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A snapshot-mode source has no rows while the current version has some: publishing it would
 * delete every row. Permanent; `allow_empty_snapshot: true` in the definition allows it.
 */
export class SourceEmptyError extends TidemarkError {
  constructor(readonly dataset: string, readonly baseRows: number) {
    super(
      `The source of ${dataset} has no rows, and in snapshot mode that would delete all ${baseRows.toLocaleString("en-US")} rows of the current version; check the export that produces it, or set allow_empty_snapshot: true if the dataset really is empty now.`,
    );
  }
}

/** Append mode received a key that the base version already holds. */
export class AppendKeyExistsError extends TidemarkError {
  constructor(
    /** The first existing key, rendered by the caller. */
    readonly key: string,
    /** 0-based source row of that key. */
    readonly row: number,
    /** How many source keys exist already, this one included. */
    readonly count: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * DuckDB could not stay within its memory limit for this data (an operator that cannot spill far
 * enough). Permanent for the same data and settings: retrying on the same worker fails the same way.
 */
export class EngineOutOfMemoryError extends TidemarkError {
  constructor(readonly memoryLimit: string) {
    super(`The data engine ran out of memory within TIDEMARK_ENGINE_MEMORY=${memoryLimit}; raise TIDEMARK_ENGINE_MEMORY on the worker (or give it a larger TIDEMARK_ENGINE_TEMP disk), then run the ingest again.`);
  }
}

/** `err` as an {@link EngineOutOfMemoryError} when DuckDB reported running out of memory, else unchanged. */
export function engineError(err: unknown, memoryLimit: string): unknown {
  return err instanceof Error && /^Out of Memory Error/.test(err.message) ? new EngineOutOfMemoryError(memoryLimit) : err;
}
