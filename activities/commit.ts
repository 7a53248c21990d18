import { AlreadyExistsError, BrokenChainError, NotFoundError, PreconditionFailedError, TidemarkError } from "../src/errors";
import { DatasetLayout } from "../src/layout";
import { serializeJson, type Pointer, type VersionManifest } from "../src/manifest/schema";
import type { ObjectStore } from "../src/store/types";
import { writeOnce } from "../src/store/write-once";
import { readManifest, readPointer } from "../src/manifest/read";
import { activityContext } from "./heartbeat";

/**
 * How long before its start-to-close timeout an attempt still swaps the pointer. Past it, the server
 * may time the attempt out and the workflow may decide the run without it (the next attempts, the
 * commit check, its compensations), so a frozen attempt that woke up late must not CAS.
 */
export const CAS_MARGIN_MS = 30_000;

/**
 * How long before its start-to-close timeout an attempt's CAS request must have been answered: at
 * that moment the store abandons it (no resend, the request in flight aborted), so no swap of this
 * attempt is resent or waited for when the workflow decides the run without it and maybe
 * compensates. A request the server had fully received before the abort may still be applied moments later.
 */
export const CAS_ANSWER_MARGIN_MS = 5_000;

/** This publish attempt reached its CAS too close to its start-to-close timeout; retried. */
export class CasTooLateError extends TidemarkError {
  override readonly retryable = true;
  constructor(late: number) {
    super(`This publish attempt reached its compare-and-swap ${Math.round(late / 1000)} s past its deadline (${CAS_MARGIN_MS / 1000} s before its start-to-close timeout), when another attempt may already be deciding the run; it left the pointer alone and the next attempt publishes.`);
  }
}

/** The latest time (epoch ms) an activity attempt that started at `startedMs` with `startToCloseMs` swaps a pointer. */
export function casDeadline(startedMs: number, startToCloseMs: number): number {
  return startedMs + startToCloseMs - CAS_MARGIN_MS;
}

/**
 * The CAS deadline of the current activity attempt, counted on this worker's clock from now: call
 * it first thing in the activity (the server's timestamps would carry the clock skew between the
 * worker and the server). Undefined outside an activity or without a start-to-close timeout.
 */
export function attemptCasDeadline(): number | undefined {
  const timeout = activityContext()?.info.startToCloseTimeoutMs;
  return timeout ? casDeadline(Date.now(), timeout) : undefined;
}

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
  /** Latest time (epoch ms) the CAS may start: the activity's {@link attemptCasDeadline}; none when undefined. */
  casBy?: number;
}

/**
 * The commit point of every version: writes the manifest create-only, then CASes the pointer. A
 * retry that finds the pointer already at this version succeeds without writing. An attempt past
 * its CAS deadline throws {@link CasTooLateError} instead of swapping; a CAS request still unanswered
 * {@link CAS_ANSWER_MARGIN_MS} before the attempt's timeout is abandoned (`WriteOutcomeUnknownError`, retried).
 */
export async function commitVersion({ store, manifest, base, publishedAt, beforeCas, casBy }: CommitInput): Promise<PublishOutcome> {
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
  if (casBy !== undefined && Date.now() > casBy) throw new CasTooLateError(Date.now() - casBy);
  const by = casBy === undefined ? undefined : casBy + CAS_MARGIN_MS - CAS_ANSWER_MARGIN_MS;
  try {
    await store.put(layout.key(layout.pointer()), serializeJson(pointer), base ? { kind: "update", etag: base.etag, by } : { kind: "create", by });
    return { status: "published" };
  } catch (err) {
    if (!(err instanceof PreconditionFailedError || err instanceof AlreadyExistsError)) throw err;
    const now = await readPointer(store, manifest.dataset_id);
    const current = now?.pointer.current_version ?? null;
    if (await versionOnChain(store, manifest.dataset_id, current, manifest.version, base?.version ?? null)) return { status: "published" };
    return { status: "conflict", currentVersion: current };
  }
}

/**
 * Whether `version` is in the chain from `current` back to `base` (to the root when `base` is
 * undefined): an earlier attempt's CAS was applied (its answer lost) and another writer may already
 * have published on top of it. A manifest missing on the way is a {@link BrokenChainError}, which
 * no retry can answer, as is a chain that comes back to a version it passed. Such a version is
 * published; re-planning or compensating would delete files the newer versions reference. The walk
 * has no step limit: answering "not published" early would let a compensation delete a published version.
 */
export async function versionOnChain(store: ObjectStore, dataset: string, current: string | null, version: string, base: string | null | undefined): Promise<boolean> {
  const layout = new DatasetLayout(dataset);
  let at = current;
  const seen = new Set<string>();
  while (at !== null && at !== base) {
    if (at === version) return true;
    if (seen.has(at)) throw new BrokenChainError(`The version chain of ${dataset} loops: ${at} is its own ancestor; run "tidemark verify ${dataset}".`);
    seen.add(at);
    const child = at;
    at = (
      await readManifest(store, dataset, layout.versionManifest(child)).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
        throw new BrokenChainError(`The version chain of ${dataset} is broken: the manifest of ${child} does not exist; run "tidemark verify ${dataset}".`);
      })
    ).parent_version;
  }
  return false;
}

/** Whether `version` is published: on the chain from the current pointer back to `base`. */
export async function isPublished(store: ObjectStore, dataset: string, version: string, base: string | null | undefined): Promise<boolean> {
  const now = await readPointer(store, dataset);
  return versionOnChain(store, dataset, now?.pointer.current_version ?? null, version, base);
}
