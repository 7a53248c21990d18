/**
 * The inbox of a dataset that no longer reads it: records acknowledged while the dataset was a push
 * dataset and not yet compacted stay in `inbox/` when its definition moves to another source. A
 * version of the new source must not be published over them (the next compaction, if the dataset
 * ever reads its inbox again, would apply them on top of newer data), so the ingest refuses until
 * they are compacted or deliberately removed.
 */
import { TidemarkError } from "../errors.js";
import type { ObjectStore } from "../store/types.js";
import { lastCompactionFragments } from "./inbox-stage.js";
import { listInbox } from "./inbox-source.js";

/** A non-push definition found acknowledged records waiting in the dataset's inbox. */
export class InboxNotEmptyError extends TidemarkError {
  constructor(
    readonly dataset: string,
    readonly fragments: number,
    readonly bytes: number,
  ) {
    super(
      `Dataset ${dataset} has ${fragments} pushed fragment${fragments === 1 ? "" : "s"} (${bytes} bytes of acknowledged records) in its inbox that no version holds, ` +
        `but its definition no longer reads the inbox; put back source: { push: {} }, run "tidemark ingest ${dataset}" to compact them, then change the source again ` +
        `(or, to discard those records, delete ${dataset}/inbox/ in the store).`,
    );
  }
}

/**
 * Throws {@link InboxNotEmptyError} when the inbox of `dataset` holds fragments the last compaction
 * on the chain from `baseManifest` did not consume (those it consumed are leftovers of a crash and
 * count as applied). One listing; the chain is walked only when the inbox is not empty.
 */
export async function requireConsumedInbox(store: ObjectStore, dataset: string, baseManifest: string | undefined): Promise<void> {
  const listing = await listInbox(store, dataset);
  if (listing.length === 0) return;
  const consumed = new Set(baseManifest ? await lastCompactionFragments(store, dataset, baseManifest) : []);
  const pending = listing.filter((e) => !consumed.has(e.id));
  if (pending.length > 0) throw new InboxNotEmptyError(dataset, pending.length, pending.reduce((n, e) => n + e.bytes, 0));
}
