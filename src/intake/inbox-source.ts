/** A push dataset's inbox as an ingest source (SPEC §11): its unconsumed fragments, concatenated in id order. */
import { Readable } from "node:stream";
import { DatasetLayout } from "../layout.js";
import type { ObjectStore } from "../store/types.js";
import { type CompactionBounds, type CompactionPlan, COMPACTION_BOUNDS, type InboxEntry, planCompaction, replanCompaction } from "./compaction-plan.js";

/** Fragments fetched ahead of the one being streamed. */
const READ_AHEAD = 8;

/** An opened inbox: NDJSON bytes of the planned fragments, and the plan. */
export interface OpenedInbox {
  stream: Readable;
  etag: null;
  size: number;
  plan: CompactionPlan;
}

/** The inbox listing of a dataset. */
export async function listInbox(store: ObjectStore, dataset: string): Promise<InboxEntry[]> {
  const layout = new DatasetLayout(dataset);
  const prefix = layout.key(layout.inbox());
  const entries: InboxEntry[] = [];
  for await (const o of store.list(prefix)) entries.push({ id: o.key.slice(prefix.length), bytes: o.size });
  return entries;
}

/**
 * The fragments' bytes in order, reading up to {@link READ_AHEAD} ahead. A read that fails before
 * its turn fails the stream when its turn comes (its rejection is handled meanwhile, so it cannot
 * take the process down); reads still pending when the stream stops are left to settle unobserved.
 */
async function* concatenated(store: ObjectStore, layout: DatasetLayout, ids: string[], signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const pending: Promise<Uint8Array>[] = [];
  const read = (id: string) => {
    const body = store.get(layout.key(layout.inboxFragment(id))).then((r) => r.body);
    body.catch(() => undefined);
    return body;
  };
  let next = 0;
  while (next < ids.length && pending.length < READ_AHEAD) pending.push(read(ids[next++]));
  while (pending.length > 0) {
    signal?.throwIfAborted();
    const body = await pending.shift()!;
    if (next < ids.length) pending.push(read(ids[next++]));
    if (body.length === 0) continue;
    yield body;
    if (body[body.length - 1] !== 10) yield Buffer.from("\n");
  }
}

/**
 * Opens the inbox of `dataset` for a compaction: plans which fragments it applies (never one that
 * `consumed`, the base version's `source.fragments`, lists; exactly `recorded` when an earlier
 * attempt of the run recorded its plan) and streams them as one NDJSON body.
 */
export async function openInboxSource(store: ObjectStore, dataset: string, consumed: readonly string[], signal?: AbortSignal, bounds: CompactionBounds = COMPACTION_BOUNDS, recorded?: readonly string[]): Promise<OpenedInbox> {
  const layout = new DatasetLayout(dataset);
  const listing = await listInbox(store, dataset);
  const plan = recorded ? replanCompaction(listing, consumed, recorded) : planCompaction(listing, consumed, bounds);
  const ids = plan.take.map((e) => e.id);
  const size = plan.take.reduce((n, e) => n + e.bytes, 0);
  return { stream: Readable.from(concatenated(store, layout, ids, signal)), etag: null, size, plan };
}

/** Deletes consumed fragments (already deleted ones count as done). */
export async function deleteFragments(store: ObjectStore, dataset: string, ids: readonly string[], concurrency = 16): Promise<number> {
  const layout = new DatasetLayout(dataset);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      await store.delete(layout.key(layout.inboxFragment(id)), { createOnly: true });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  return ids.length;
}

/** Whether a source URI is a push dataset's inbox (`push:<dataset>`). */
export function isPushUri(uri: string): boolean {
  return uri.startsWith("push:");
}
