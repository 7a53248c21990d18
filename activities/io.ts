import { type Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { decodeParquet, encodeParquet } from "../src/parquet/codec";
import type { ObjectStore } from "../src/store/types";
import { writeOnce } from "../src/store/write-once";
import { groupRows } from "../src/table/group";
import { compactTable } from "../src/table/take";
import { hashWordsOfColumn } from "./frames";

/** Scratch objects of a run, under `runs/<version>/`. */
export const SCRATCH = {
  source: "source",
  normalized: "normalized.arrow",
  changes: "changes.arrow",
  removals: "removals.arrow",
  quarantine: "quarantine.ndjson",
} as const;

/** Reads a whole Parquet object into an Arrow table. */
export async function readTable(store: ObjectStore, key: string): Promise<Table> {
  const { body } = await store.get(key);
  return decodeParquet(body);
}

/** Writes a table as Parquet (dictionaries only where values repeat), create-only (an identical retry counts as done); returns its size. */
export async function writeTableOnce(store: ObjectStore, key: string, table: Table): Promise<number> {
  const bytes = encodeParquet(table, { dictionary: "sampled" });
  await writeOnce(store, key, bytes);
  return bytes.length;
}

/**
 * Writes a scratch table as an Arrow IPC stream, replacing any earlier attempt's. Scratch is read
 * back soon by the same run only, so it skips Parquet's encoding and decoding (buffers are copied as they are).
 */
export async function writeScratchTable(store: ObjectStore, key: string, table: Table): Promise<number> {
  const bytes = tableToIPC(table, "stream");
  await store.put(key, bytes, { kind: "overwrite" });
  return bytes.length;
}

/** Reads a table written by {@link writeScratchTable}. */
export async function readScratchTable(store: ObjectStore, key: string): Promise<Table> {
  const { body } = await store.get(key);
  return tableFromIPC(body);
}

/** The staged changes and removals of a run, grouped by partition month. */
export interface StagedChanges {
  changes: Table;
  /** Key hash words of `changes` (4 per row). */
  changeWords: Uint32Array;
  /** Rows of `changes` per month (yyyymm), in row order. */
  changesByMonth: Map<number, Int32Array>;
  /** Key hash words of the removals (4 per row). */
  removalWords: Uint32Array;
  /** Rows of the removals per month (yyyymm). */
  removalsByMonth: Map<number, Int32Array>;
}

/** Reads a run's staged changes and removals (by `keyOf(name)`) once and groups both by month. */
export async function readStagedChanges(store: ObjectStore, keyOf: (name: string) => string): Promise<StagedChanges> {
  const changes = compactTable(await readScratchTable(store, keyOf(SCRATCH.changes)));
  const removals = await readScratchTable(store, keyOf(SCRATCH.removals));
  return {
    changes,
    changeWords: hashWordsOfColumn(changes.getChild("_key_hash")!),
    changesByMonth: groupRows(changes.getChild("_month")!.toArray() as Int32Array),
    removalWords: hashWordsOfColumn(removals.getChild("key_hash")!),
    removalsByMonth: groupRows(removals.getChild("month")!.toArray() as Int32Array),
  };
}

/** Object writes (and reads) kept in flight at once, so per-object store latency (fsync, HTTP) overlaps encoding. */
export const IO_CONCURRENCY = 8;

/** `fn` over `items` with at most `limit` calls pending at once; results in input order; the first failure rejects. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
