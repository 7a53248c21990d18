/**
 * Rows the engine stages at once when it writes one file per month: a version's months are staged
 * in consecutive batches of about this many rows, each dropped before the next is staged, so the
 * engine's memory does not grow with the size of the version (a 10M-row initial load staged whole
 * filled DuckDB's memory limit, and the worker's RSS ran ~0.5 GB past it).
 */
export const STAGE_ROWS = 1_000_000;

/**
 * Splits `items` into consecutive batches, in order, each holding items whose `rows` add up to at
 * most `maxRows`; an item above `maxRows` alone makes a batch of its own. No batch is empty.
 */
export function batchesOf<T>(items: readonly T[], rows: (item: T) => number, maxRows: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let sum = 0;
  for (const item of items) {
    const n = Math.max(0, rows(item));
    if (current.length > 0 && sum + n > maxRows) {
      batches.push(current);
      current = [];
      sum = 0;
    }
    current.push(item);
    sum += n;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Statements the engine runs in one call when a caller has many small ones (one file per month): a
 * call costs ~0.5 ms of its own through `@duckdb/node-api` (500 `SELECT 1` took 217–334 ms). The
 * 500 month files of a 1M-row initial load (staged as `write` stages them, two connections) took a
 * median 1,054 ms one statement per call against 913 ms ten per call (7 runs each, alternated).
 */
export const STATEMENTS_PER_CALL = 10;

/**
 * Splits `items` into consecutive chunks, in order, of at most `size` items each; with `together`,
 * a chunk also ends where two neighbours may not share one (e.g. items of different staging
 * batches). No chunk is empty.
 */
export function chunksOf<T>(items: readonly T[], size: number, together: (a: T, b: T) => boolean = () => true): T[][] {
  const chunks: T[][] = [];
  for (const item of items) {
    const last = chunks.at(-1);
    if (last && last.length < Math.max(1, size) && together(last[last.length - 1], item)) last.push(item);
    else chunks.push([item]);
  }
  return chunks;
}

/** Each item's batch: its index in `batches`. */
export function batchIndex<I>(batches: readonly I[][]): Map<I, number> {
  return new Map(batches.flatMap((batch, b) => batch.map((item) => [item, b] as const)));
}

/** What {@link stagedInTurn} stages for one batch: the tables it dropped once every statement of the batch ran. */
export interface Dropping {
  drop?(): Promise<void>;
}

/**
 * Stages `batches` one at a time, on demand: `phaseOf(item)` resolves to the staging of the item's
 * batch, which starts once every item of the batch before it is `ready` (its statement ran) and that
 * batch's staging is dropped. The last batch is left to the caller (e.g. dropped with the task).
 */
export function stagedInTurn<I, P extends Dropping>(batches: readonly I[][], stage: (batch: I[]) => Promise<P>, ready: (item: I) => Promise<void>): (item: I) => Promise<P> {
  const batchOf = batchIndex(batches);
  const staged = new Map<number, Promise<P>>();
  const at = (b: number): Promise<P> => {
    let p = staged.get(b);
    if (!p) {
      p = (async () => {
        if (b > 0) {
          const previous = await at(b - 1);
          await Promise.all(batches[b - 1].map(ready));
          await previous.drop?.();
        }
        return stage(batches[b]);
      })();
      p.catch(() => undefined);
      staged.set(b, p);
    }
    return p;
  };
  return (item) => {
    const b = batchOf.get(item);
    if (b === undefined) return Promise.reject(new Error("This item is in no batch of the staging."));
    return at(b);
  };
}
