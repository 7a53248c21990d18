import type { Readable } from "node:stream";

/**
 * How a `put` treats an existing object:
 * - `overwrite`: unconditional write;
 * - `create`: only if absent, else `AlreadyExistsError` (S3 `If-None-Match: *`, fs `link()`); with
 *   `sendOnce` the request is never sent a second time (S3: no SDK retry): a create whose answer is
 *   lost fails with `WriteOutcomeUnknownError` instead of being resent, which could recreate the
 *   object after another process consumed and deleted it (inbox fragments);
 * - `update`: only if the current etag equals `etag`, else `PreconditionFailedError`
 *   (also when the object is missing).
 * `by` (epoch ms, create and update): the write is neither started nor awaited past that moment (S3:
 * no SDK retry starts and the request in flight is aborted; fs: the link or swap is not done) and
 * fails with `WriteOutcomeUnknownError`, so no write of it is resent or waited for once its caller
 * has given up (the pointer's compare-and-swap); a request the server had fully received before the
 * abort may still be applied moments later. Multipart writes (`putStream` past its threshold) take neither option.
 */
export type WriteMode = { kind: "overwrite" } | { kind: "create"; sendOnce?: boolean; by?: number } | { kind: "update"; etag: string; by?: number };

/** Options of {@link ObjectStore.delete}. */
export interface DeleteOptions {
  /**
   * The caller's promise that the key is only ever written with mode `create` (never overwritten
   * or updated), as inbox fragments are: the fs backend then unlinks it without taking the key's
   * lock file, which only orders a delete against overwrites and updates (a create is one atomic
   * `link()`). Each lock is a new file: on an ext4 without a journal, every file created costs a scan
   * past the inodes freed in the last minutes (bench/results/fs-create.md).
   */
  readonly createOnly?: boolean;
}

/** Metadata of one stored object. `etag` changes whenever the content changes (fs: on every write). */
export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

/** A whole object read into memory (small objects: manifests, pointers, index shards). */
export interface GetResult extends ObjectInfo {
  body: Uint8Array;
}

/** A streamed object read; the caller must consume or destroy `stream`. */
export interface GetStreamResult extends ObjectInfo {
  stream: Readable;
}

/** Result of a successful write. */
export interface PutResult {
  etag: string;
  size: number;
}

/** Options of a paginated listing. */
export interface ListOptions {
  /** Objects fetched per page from the backend (S3 max 1000). */
  pageSize?: number;
  /** Only keys that sort after this key (byte order), e.g. the newest one the caller already knows. */
  startAfter?: string;
}

/**
 * The storage abstraction every side effect goes through. Keys are relative to
 * the store root, "/"-separated. All failures are the typed errors of `src/errors.ts`.
 */
export interface ObjectStore {
  /** Human-readable location, e.g. `file:///data` or `s3://bucket/prefix`. Never contains credentials. */
  readonly url: string;
  /** Bodies above this many bytes are sent in parts (S3 multipart); absent when the store has no such threshold. */
  readonly multipartThreshold?: number;
  get(key: string): Promise<GetResult>;
  getStream(key: string): Promise<GetStreamResult>;
  head(key: string): Promise<ObjectInfo>;
  put(key: string, body: Uint8Array | string, mode?: WriteMode): Promise<PutResult>;
  /** Streams `body` to the store without buffering it whole (S3 multipart above a threshold). */
  putStream(key: string, body: Readable | AsyncIterable<Uint8Array>, mode?: WriteMode): Promise<PutResult>;
  /**
   * Stores the local file at `path` (its bytes must not change meanwhile), where the backend can do
   * better than a stream: the fs backend copies it in the kernel. Absent elsewhere: use `putStream`.
   */
  putFile?(key: string, path: string, mode?: WriteMode): Promise<PutResult>;
  /** Like {@link putFile}, but the store may take the file itself (`path` is gone after a successful write, kept after a failed one). */
  moveFile?(key: string, path: string, mode?: WriteMode): Promise<PutResult>;
  /** Deletes the key; deleting a missing key succeeds. */
  delete(key: string, options?: DeleteOptions): Promise<void>;
  /** Lists every object whose key starts with `prefix`, in lexicographic key order, page by page. */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo>;
  /**
   * Backends whose unfinished writes leave data that `list` does not show (the fs backend's
   * temporary files after a process was killed mid-write) find it here: everything under `prefix`
   * last touched before `before`, removed unless `dryRun`. Keys name the leftover itself.
   */
  sweepAbandonedWrites?(prefix: string, before: Date, dryRun: boolean): Promise<AbandonedWrite[]>;
}

/** Data of a write that never completed (see {@link ObjectStore.sweepAbandonedWrites}). */
export interface AbandonedWrite {
  key: string;
  size: number;
}
