/**
 * In-memory delta planning against a {@link KeyIndex} (see docs/delta.md).
 * Use {@link planDeltaStreaming} when the base index is too large to load.
 */
import { Classifier } from "./classify";
import { KeyIndex } from "./key-index";
import { SortedSource } from "./sorted-source";
import { type DeltaInput, type DeltaPlanCore, Op } from "./types";

/** Input of {@link planDelta}: the hashed source and the base version's index. */
export interface PlanDeltaInput extends DeltaInput {
  /** The index of the version planned from, or null for the first version. Not modified unless `consumeBase`. */
  readonly base: KeyIndex | null;
  /**
   * Update `base` in place and return it as `nextIndex` instead of copying it
   * (halves peak memory for large indexes); `base` must not be used afterwards.
   */
  readonly consumeBase?: boolean;
}

/** A delta plus the index of the version it produces. */
export interface DeltaPlan extends DeltaPlanCore {
  /** The key index after applying the delta (a new object unless `consumeBase`). */
  readonly nextIndex: KeyIndex;
}

/**
 * Plans the delta of a hashed source against `base`:
 * - a key not in the base is an insert;
 * - a key in the base with another row hash or month is an update (a month
 *   change is also listed in `moves`);
 * - a key with the same row hash and month is unchanged;
 * - `snapshot`: base keys absent from the source are deletes;
 * - `append`: every source key must be new, else `AppendKeyExistsError`;
 * - repeated source keys follow `duplicates`: `DuplicateKeyError`, or the
 *   last row wins and earlier rows are `DROPPED_DUPLICATE`.
 */
export function planDelta(input: PlanDeltaInput): DeltaPlan {
  const src = new SortedSource(input);
  const cls = new Classifier(input, src.ops);
  const base = input.base;
  if (base !== null && base.size > 0) {
    const snapshot = input.mode === "snapshot";
    const seen = snapshot ? new Uint8Array(base.capacity) : null;
    for (let k = 0; k < src.length; k++) {
      const slot = base.find(src.keys, k * 4);
      if (slot < 0) continue;
      cls.matched(src.rows[k], src.months[k], base.rowHashEquals(slot, src.rowHashes, k * 4), base.monthAt(slot));
      if (seen !== null) seen[slot] = 1;
    }
    if (seen !== null) {
      base.forEachEntry((table, keyAt, _rowAt, month, slot) => {
        if (seen[slot] === 0) cls.deleted(table, keyAt, month);
      });
    }
  }
  const plan = cls.finish(base?.size ?? 0);
  return { ...plan, nextIndex: nextIndexOf(input, src, plan) };
}

function nextIndexOf(input: PlanDeltaInput, src: SortedSource, plan: DeltaPlanCore): KeyIndex {
  const base = input.base;
  const ops = plan.ops;
  const fresh = base === null || input.mode === "snapshot";
  const next = fresh ? new KeyIndex(src.length) : input.consumeBase ? base : base.clone(plan.counts.rowsTotal);
  for (let k = 0; k < src.length; k++) {
    const op = ops[src.rows[k]];
    if (fresh || op === Op.INSERT || op === Op.UPDATE) next.set(src.keys, k * 4, src.rowHashes, k * 4, src.months[k]);
  }
  return next;
}
