/**
 * What a compaction of a push dataset's inbox takes (SPEC §11), and when the server asks for one.
 * Pure: the inbox listing and the base version's consumed fragments in, decisions out.
 */
import { TidemarkError } from "../errors.js";
import type { DatasetDefinition } from "../definition/schema.js";
import { isFragmentId } from "./fragment-id.js";

/** One object of an inbox listing. */
export interface InboxEntry {
  /** Fragment id (the key below `inbox/`). */
  readonly id: string;
  readonly bytes: number;
}

/** Bounds of one compaction, so its manifest and payloads stay small. */
export interface CompactionBounds {
  readonly maxFragments: number;
  readonly maxBytes: number;
}

/** Default bounds: the fragment list rides in the manifest and in one activity result (SPEC §3: payloads far under 2 MB). */
export const COMPACTION_BOUNDS: CompactionBounds = { maxFragments: 4000, maxBytes: 256 * 1024 * 1024 };

/** The fragments a compaction applies, and the consumed ones it deletes. */
export interface CompactionPlan {
  /** Fragments to apply, in id (time) order; later records of a key win. */
  readonly take: InboxEntry[];
  /** Fragments listed in the base version's manifest that are still in the inbox: consumed, never applied again, deleted. */
  readonly leftovers: string[];
  /** Fragments left for the next compaction by the bounds. */
  readonly deferred: number;
}

/**
 * Plans a compaction: every fragment of the inbox not consumed by the base version, oldest first,
 * up to the bounds (at least one fragment when there is any). Keys that are not fragment ids are
 * ignored.
 */
export function planCompaction(listing: readonly InboxEntry[], consumed: readonly string[], bounds: CompactionBounds = COMPACTION_BOUNDS): CompactionPlan {
  const used = new Set(consumed);
  const fragments = listing.filter((e) => isFragmentId(e.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const leftovers = fragments.filter((e) => used.has(e.id)).map((e) => e.id);
  const fresh = fragments.filter((e) => !used.has(e.id));
  const take: InboxEntry[] = [];
  let bytes = 0;
  for (const e of fresh) {
    if (take.length > 0 && (take.length >= bounds.maxFragments || bytes + e.bytes > bounds.maxBytes)) break;
    take.push(e);
    bytes += e.bytes;
  }
  return { take, leftovers, deferred: fresh.length - take.length };
}

/** A compaction's recorded plan cannot be followed. */
export class CompactionPlanError extends TidemarkError {}

/** A fragment the run's recorded plan names is no longer in the inbox. */
export class PlannedFragmentMissingError extends CompactionPlanError {}

/**
 * The plan of a compaction retried after an earlier attempt recorded its fragments (`recorded`):
 * exactly those fragments, so every attempt of one run computes the same version from the same
 * records. A recorded fragment can only be gone when something outside the run deleted it.
 */
export function replanCompaction(listing: readonly InboxEntry[], consumed: readonly string[], recorded: readonly string[]): CompactionPlan {
  const all = planCompaction(listing, consumed, { maxFragments: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER });
  const byId = new Map(all.take.map((e) => [e.id, e]));
  const take = recorded.map((id) => {
    const e = byId.get(id);
    if (!e) throw new PlannedFragmentMissingError(`Fragment ${id}, planned by an earlier attempt of this compaction, is no longer in the inbox; run "tidemark verify" on the dataset and start the compaction again.`);
    return e;
  });
  return { take, leftovers: all.leftovers, deferred: all.take.length - take.length };
}

/** When a push dataset's inbox is compacted (SPEC §11): by backlog size and by its oldest fragment's age. */
export interface CompactionPolicy {
  readonly compactBytes: number;
  readonly compactIntervalMs: number;
}

/** Defaults of `source.push.compact_bytes` and `source.push.compact_interval`. */
export const DEFAULT_COMPACTION: CompactionPolicy = { compactBytes: 8 * 1024 * 1024, compactIntervalMs: 5000 };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration like `500ms`, `5s`, `2m`, `1h`; undefined when malformed. */
export function parseInterval(text: string): number | undefined {
  const m = /^([1-9][0-9]*)(ms|s|m|h)$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

/** The compaction policy of a push dataset, defaults applied. */
export function compactionPolicy(def: DatasetDefinition): CompactionPolicy {
  const push = def.source.push ?? {};
  return {
    compactBytes: push.compact_bytes ?? DEFAULT_COMPACTION.compactBytes,
    compactIntervalMs: (push.compact_interval && parseInterval(push.compact_interval)) || DEFAULT_COMPACTION.compactIntervalMs,
  };
}

/** Whether a backlog is due for compaction: its bytes reached `compactBytes` or its oldest fragment is `compactIntervalMs` old. */
export function compactionDue(backlog: { bytes: number; oldest: Date | null }, policy: CompactionPolicy, now: number): boolean {
  if (backlog.bytes <= 0 || backlog.oldest === null) return false;
  return backlog.bytes >= policy.compactBytes || now - backlog.oldest.getTime() >= policy.compactIntervalMs;
}
