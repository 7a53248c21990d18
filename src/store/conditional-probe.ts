/** A start-up check that an S3-compatible store honours the conditional writes every commit relies on. */
import { randomUUID } from "node:crypto";
import { AlreadyExistsError, PreconditionFailedError, StoreConfigError } from "../errors.js";
import { conditionalProbeKey } from "../layout.js";
import type { ObjectStore } from "./types.js";

/** The store accepted a conditional write it should have refused: create-only writes and the pointer's CAS would silently overwrite. */
export class ConditionalWritesIgnoredError extends StoreConfigError {}

function ignored(store: ObjectStore, header: string, what: string): ConditionalWritesIgnoredError {
  return new ConditionalWritesIgnoredError(
    `The store ${store.url} ignores ${header}: ${what} succeeded, so Tidemark's create-only writes and its pointer compare-and-swap would silently overwrite published data; use a store that honours conditional writes (AWS S3, MinIO, or another S3-compatible store with If-None-Match and If-Match on PUT).`,
  );
}

/**
 * Writes a scratch object create-only, then checks that a second create of it is refused
 * (`If-None-Match: *`) and that an update against an etag it does not have is refused (`If-Match`);
 * deletes it. Throws {@link ConditionalWritesIgnoredError} when either is accepted; any other store
 * error propagates (the caller decides whether an unreachable store stops it).
 */
export async function checkConditionalWrites(store: ObjectStore, key: string = conditionalProbeKey(randomUUID())): Promise<void> {
  const refusedAs = (kind: new (...args: never[]) => Error) => (err: unknown) => {
    if (err instanceof kind) return false;
    throw err;
  };
  await store.put(key, "first", { kind: "create" });
  try {
    if (await store.put(key, "second", { kind: "create" }).then(() => true, refusedAs(AlreadyExistsError))) {
      throw ignored(store, "If-None-Match", "a create of an object that exists");
    }
    if (await store.put(key, "third", { kind: "update", etag: "0123456789abcdef0123456789abcdef" }).then(() => true, refusedAs(PreconditionFailedError))) {
      throw ignored(store, "If-Match", "an update against an etag the object does not have");
    }
  } finally {
    await store.delete(key).catch(() => {});
  }
}

/**
 * {@link checkConditionalWrites} for an `s3://` store at a process's start (a `file://` store
 * implements the conditions itself): an ignored condition throws; any other failure is handed to
 * `warn` and the process starts (the store may be briefly unreachable; every write reports its own errors).
 */
export async function checkStoreAtStart(store: ObjectStore, warn: (problem: string) => void): Promise<void> {
  if (!store.url.startsWith("s3://")) return;
  try {
    await checkConditionalWrites(store);
  } catch (err) {
    if (err instanceof ConditionalWritesIgnoredError) throw err;
    warn(`could not check that ${store.url} honours conditional writes (${(err as Error).message}); starting without the check.`);
  }
}
