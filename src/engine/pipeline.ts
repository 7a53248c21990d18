import { chunksOf, STATEMENTS_PER_CALL } from "./batches";
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
 * {@link Ahead.ready} per item, so engine work and I/O overlap. Neighbours that `together` allows
 * share one engine call, up to {@link STATEMENTS_PER_CALL} (`sql` of a chunk's items is asked in
 * turn before the call, so an item's `sql` must not wait for a neighbour it may share a call with);
 * without it each statement is a call. After a failure no new call starts and every pending item
 * rejects with it, the items of the failing call included.
 */
export function runAhead<I>(task: EngineTask, items: readonly I[], sql: (item: I) => Promise<string | null>, together?: (a: I, b: I) => boolean): Ahead<I> {
  const slots = new Map(items.map((item) => [item, slot()]));
  let stopped = false;
  let failure: { err: unknown } | undefined;
  const chunks = together ? chunksOf(items, STATEMENTS_PER_CALL, together) : items.map((item) => [item]);
  const done = task
    .each(chunks, async (chunk, run) => {
      const pending = chunk.map((item) => slots.get(item)!);
      if (stopped || failure) {
        for (const s of pending) s.reject(failure?.err ?? new Error("The engine pipeline stopped before this statement ran."));
        return;
      }
      try {
        const statements: string[] = [];
        for (const item of chunk) {
          const statement = await sql(item);
          if (statement !== null) statements.push(statement);
        }
        if (statements.length > 0) await run(statements.join(";\n"));
        for (const s of pending) s.resolve();
      } catch (err) {
        failure ??= { err };
        for (const s of pending) s.reject(err);
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
