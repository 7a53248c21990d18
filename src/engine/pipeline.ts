import type { EngineTask } from "./task";

/** Statements run ahead on a task's connections, awaited one item at a time by their consumer. */
export interface Ahead<I> {
  /** Resolves once `item`'s statement ran (at once for an item without one); rejects with the first failure. */
  ready(item: I): Promise<void>;
  /** Stops starting statements; resolves when the running ones ended (call before the task ends). */
  stop(): Promise<void>;
}

interface Slot {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function slot(): Slot {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Starts the statements of `items` (`sql` gives none for an item that needs none; it may first do
 * engine work of its own, e.g. stage a table) on every connection of `task`, in item order, without
 * waiting for their consumer: the consumer (e.g. the uploads of the files they write) awaits
 * {@link Ahead.ready} per item, so engine work and I/O overlap. After a failure no new statement
 * starts and every pending item rejects with it.
 */
export function runAhead<I>(task: EngineTask, items: readonly I[], sql: (item: I) => Promise<string | null>): Ahead<I> {
  const slots = new Map(items.map((item) => [item, slot()]));
  let stopped = false;
  let failure: { err: unknown } | undefined;
  const done = task
    .each(items, async (item, run) => {
      const s = slots.get(item)!;
      if (stopped || failure) return s.reject(failure?.err ?? new Error("The engine pipeline stopped before this statement ran."));
      try {
        const statement = await sql(item);
        if (statement !== null) await run(statement);
        s.resolve();
      } catch (err) {
        failure ??= { err };
        s.reject(err);
      }
    })
    .catch((err: unknown) => {
      failure ??= { err };
    })
    .finally(() => {
      for (const s of slots.values()) s.reject(failure?.err ?? new Error("The engine pipeline ended before this statement ran."));
    });
  return {
    ready: (item) => slots.get(item)?.promise ?? Promise.resolve(),
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}
