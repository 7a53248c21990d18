import type { Table } from "apache-arrow";
import { decodeParquet, encodeParquet } from "../src/parquet/codec";
import type { ObjectStore } from "../src/store/types";
import { writeOnce } from "../src/store/write-once";

/** Scratch objects of a run, under `runs/<version>/`. */
export const SCRATCH = {
  source: "source",
  normalized: "normalized.parquet",
  changes: "changes.parquet",
  removals: "removals.parquet",
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
