import { AlreadyExistsError, PreconditionFailedError } from "../src/errors";
import { DatasetLayout } from "../src/layout";
import { serializeJson, type Pointer, type VersionManifest } from "../src/manifest/schema";
import type { ObjectStore } from "../src/store/types";
import { writeOnce } from "../src/store/write-once";
import { readManifest, readPointer } from "../src/manifest/read";

/** Outcome of a commit: published (now or by an earlier attempt), or lost to another writer. */
export type PublishOutcome = { status: "published" } | { status: "conflict"; currentVersion: string | null };

/** What a commit needs: the manifest to publish and the pointer state the run planned from. */
export interface CommitInput {
  store: ObjectStore;
  manifest: VersionManifest;
  /** Pointer the run planned from (SPEC §2): the CAS goes against exactly its etag; null for a first version. */
  base: { version: string; etag: string } | null;
  publishedAt: string;
  /** Called just before the CAS (fault injection in tests). */
  beforeCas?: () => void | Promise<void>;
}

/**
 * The commit point of every version: writes the manifest create-only, then CASes the pointer. A
 * retry that finds the pointer already at this version succeeds without writing.
 */
export async function commitVersion({ store, manifest, base, publishedAt, beforeCas }: CommitInput): Promise<PublishOutcome> {
  const layout = new DatasetLayout(manifest.dataset_id);
  const manifestPath = layout.versionManifest(manifest.version);
  await writeOnce(store, layout.key(manifestPath), serializeJson(manifest));
  const pointer: Pointer = {
    format: "tidemark.pointer/1",
    dataset_id: manifest.dataset_id,
    current_version: manifest.version,
    manifest: manifestPath,
    parent_version: base?.version ?? null,
    published_at: publishedAt,
  };
  await beforeCas?.();
  try {
    await store.put(layout.key(layout.pointer()), serializeJson(pointer), base ? { kind: "update", etag: base.etag } : { kind: "create" });
    return { status: "published" };
  } catch (err) {
    if (!(err instanceof PreconditionFailedError || err instanceof AlreadyExistsError)) throw err;
    const now = await readPointer(store, manifest.dataset_id);
    const current = now?.pointer.current_version ?? null;
    if (await versionOnChain(store, manifest.dataset_id, current, manifest.version, base?.version ?? null)) return { status: "published" };
    return { status: "conflict", currentVersion: current };
  }
}

/** Versions a lost CAS looks back through for its own version before calling it a conflict. */
const MAX_VERSIONS_SINCE_BASE = 1000;

/**
 * Whether `version` is in the chain from `current` back to `base` (to the root when `base` is
 * undefined): an earlier attempt's CAS was applied (its answer lost) and another writer may already
 * have published on top of it. Such a version is published; re-planning or compensating would
 * delete files the newer versions reference.
 */
export async function versionOnChain(store: ObjectStore, dataset: string, current: string | null, version: string, base: string | null | undefined): Promise<boolean> {
  const layout = new DatasetLayout(dataset);
  let at = current;
  for (let steps = 0; at !== null && at !== base && steps < MAX_VERSIONS_SINCE_BASE; steps++) {
    if (at === version) return true;
    at = (await readManifest(store, dataset, layout.versionManifest(at))).parent_version;
  }
  return false;
}

/** Whether `version` is published: on the chain from the current pointer back to `base`. */
export async function isPublished(store: ObjectStore, dataset: string, version: string, base: string | null | undefined): Promise<boolean> {
  const now = await readPointer(store, dataset);
  return versionOnChain(store, dataset, now?.pointer.current_version ?? null, version, base);
}
