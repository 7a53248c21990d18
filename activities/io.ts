/** Scratch objects of a run, under `runs/<version>/`. */
export const SCRATCH = {
  source: "source",
  normalized: "normalized.parquet",
  changes: "changes.parquet",
  removals: "removals.parquet",
  quarantine: "quarantine.ndjson",
  /** A push compaction's planned fragments, recorded before they are read (see `stageInbox`). */
  fragments: "fragments.json",
} as const;

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
