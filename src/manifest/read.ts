/** Reading a dataset's pointer and version manifests from the store. */
import { NotFoundError } from "../errors";
import { DatasetLayout } from "../layout";
import { parsePointer, parseVersionManifest, type Pointer, type VersionManifest } from "./schema";
import type { RecordedSource } from "../sources/validator";
import type { ObjectStore } from "../store/types";

/** The pointer with its etag, or null when the dataset has never been published. */
export async function readPointer(store: ObjectStore, dataset: string): Promise<{ pointer: Pointer; etag: string } | null> {
  const layout = new DatasetLayout(dataset);
  try {
    const res = await store.get(layout.key(layout.pointer()));
    return { pointer: parsePointer(res.body, `${dataset}/current/manifest.json`), etag: res.etag };
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/** Reads a version manifest by its path relative to the dataset root. */
export async function readManifest(store: ObjectStore, dataset: string, path: string): Promise<VersionManifest> {
  const layout = new DatasetLayout(dataset);
  const res = await store.get(layout.key(path));
  return parseVersionManifest(res.body, `${dataset}/${path}`);
}

/** The source the base version's manifest records; null when it cannot be read (the run then hashes the source). */
export async function recordedSource(deps: { store: ObjectStore }, dataset: string, manifest: string): Promise<RecordedSource | null> {
  try {
    return (await readManifest(deps.store, dataset, manifest)).source;
  } catch {
    return null;
  }
}

