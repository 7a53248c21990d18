import { TidemarkError } from "../errors";

/**
 * The key index as a base plus delta layers (SPEC §2): the manifest's `index` lists the base files
 * (disjoint shards, `layer` absent or `"base"`) and then the delta layers, oldest first
 * (`layer: "delta"`). A key's entry is the one in the last file that holds it. A version that
 * changes a few keys of a large dataset writes a delta layer of those keys instead of the whole index.
 */

/** An entry of a manifest's `index` list. */
export interface IndexEntry {
  path: string;
  rows: number;
  bytes?: number;
  hashing?: string;
  layer?: "base" | "delta";
}

/** A manifest's index split into its base files and its delta layers (oldest first). */
export interface IndexLayers<E extends IndexEntry = IndexEntry> {
  base: E[];
  deltas: E[];
}

/** The manifest's index lists a base file after a delta layer: the store is inconsistent. */
export class IndexLayerOrderError extends TidemarkError {}

/** Splits a manifest's index into base files and delta layers; base files must come first. */
export function indexLayers<E extends IndexEntry>(entries: readonly E[]): IndexLayers<E> {
  const base: E[] = [];
  const deltas: E[] = [];
  for (const e of entries) {
    if (e.layer === "delta") deltas.push(e);
    else if (deltas.length > 0) throw new IndexLayerOrderError(`The index lists base file ${e.path} after a delta layer; run "tidemark verify" and "tidemark repair" on the dataset.`);
    else base.push(e);
  }
  return { base, deltas };
}

/** At most this many delta layers follow the base; one more merges them all. */
export const MAX_DELTA_LAYERS = 8;

/** What a version writes for the index. */
export type IndexWrite =
  /** A complete index (a new base; no layers). */
  | { kind: "full" }
  /** A delta layer of the changed keys, merged with the parent's last `merge` delta layers. */
  | { kind: "delta"; merge: number }
  /** Nothing: the parent's index is this version's. */
  | { kind: "carry" };

/** Input of {@link planIndexWrite}: counted rows, not the manifest's records. */
export interface IndexWriteInput {
  mode: "upsert" | "snapshot" | "append";
  /** The parent has an index of the engine's hashing (else the base comes from projections). */
  layered: boolean;
  /** Rows of the parent's base files. */
  baseRows: number;
  /** Rows of each of the parent's delta layers, oldest first. */
  deltaRows: readonly number[];
  /** Keys inserted or updated by this version. */
  changed: number;
  /** Keys deleted by this version (snapshot). */
  deleted: number;
}

/**
 * Which index file a version writes. A snapshot, a first version and a base from projections write
 * a complete index. Otherwise the changed keys become a delta layer; it absorbs the newest layers
 * not much larger than it (each kept layer more than twice the size of all newer ones, so layers
 * stay few), all of them past {@link MAX_DELTA_LAYERS}; and once the layers would hold more than
 * half as many rows as the base, the version writes a complete index instead (a delta-heavy probe
 * costs at most 1.5× the base's).
 */
export function planIndexWrite(input: IndexWriteInput): IndexWrite {
  const { changed, deleted, deltaRows } = input;
  if (input.layered && changed === 0 && deleted === 0) return { kind: "carry" };
  if (!input.layered || input.mode === "snapshot" || deleted > 0) return { kind: "full" };
  let merged = changed;
  let merge = 0;
  while (merge < deltaRows.length && deltaRows[deltaRows.length - 1 - merge] <= 2 * merged) {
    merged += deltaRows[deltaRows.length - 1 - merge];
    merge++;
  }
  if (deltaRows.length - merge + 1 > MAX_DELTA_LAYERS) {
    merge = deltaRows.length;
    merged = changed + deltaRows.reduce((a, b) => a + b, 0);
  }
  const kept = deltaRows.slice(0, deltaRows.length - merge).reduce((a, b) => a + b, 0);
  if (merged + kept > input.baseRows / 2) return { kind: "full" };
  return { kind: "delta", merge };
}

/** The next version's index entries: its complete index, or the parent's kept entries and its layer. */
export function nextIndexEntries<E extends IndexEntry>(parent: readonly E[], write: IndexWrite, written: E | null): E[] {
  if (write.kind === "carry") return [...parent];
  if (!written) throw new Error(`An index write of kind ${write.kind} needs the written entry.`);
  if (write.kind === "full") return [written];
  const { base, deltas } = indexLayers(parent);
  return [...base, ...deltas.slice(0, deltas.length - write.merge), { ...written, layer: "delta" }];
}
