import { CancelledFailure, Context } from "@temporalio/activity";

/** The activity context when running inside one, else undefined (plain calls in tests). */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** A heartbeat function throttled to one call per `everyMs`; a no-op outside an activity. */
export function heartbeater(everyMs = 2000): (details?: unknown) => void {
  const ctx = activityContext();
  let last = 0;
  return (details?: unknown) => {
    if (!ctx) return;
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    ctx.heartbeat(details);
  };
}

/**
 * Heartbeats every `everyMs` while `work` runs, even when it is blocked on I/O, so a cancellation
 * reaches it promptly; `work` receives the activity's cancellation signal to abort its I/O.
 */
export async function withKeepAlive<T>(work: (signal: AbortSignal | undefined, note: (details: unknown) => void) => Promise<T>, everyMs = 3000): Promise<T> {
  const ctx = activityContext();
  let details: unknown;
  const timer = ctx ? setInterval(() => ctx.heartbeat(details), everyMs) : undefined;
  try {
    return await work(ctx?.cancellationSignal, (d) => {
      details = d;
    });
  } catch (err) {
    const signal = ctx?.cancellationSignal;
    if (signal?.aborted) throw signal.reason instanceof CancelledFailure ? signal.reason : new CancelledFailure("activity cancelled", undefined, err as Error);
    throw err;
  } finally {
    if (timer) clearInterval(timer);
  }
}

const lastSent = new WeakMap<Context, unknown>();

/** Sends `details` as the activity's heartbeat and remembers them for {@link currentDetails}. */
function send(ctx: Context, details: unknown): void {
  lastSent.set(ctx, details);
  ctx.heartbeat(details);
}

/** The details to keep on the server: the last ones {@link resumable} sent in this attempt, else the previous attempt's. */
export function currentDetails(): unknown {
  const ctx = activityContext();
  return ctx && lastSent.has(ctx) ? lastSent.get(ctx) : previousHeartbeat();
}

/** Heartbeat details recorded by a previous attempt of this activity, if any. */
export function previousHeartbeat<T>(): T | undefined {
  return activityContext()?.info.heartbeatDetails as T | undefined;
}

/** Yields to the event loop and heartbeats (throttled): the pause between slices of a long synchronous computation. */
export function pauser(details: () => unknown, everyMs = 1000): () => Promise<void> {
  const beat = heartbeater(everyMs);
  return async () => {
    beat(details());
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
}

/**
 * Least time between two heartbeats of {@link resumable} (the worker sends them to the server at
 * most every 200 ms anyway): each carries every finished item, so one per item would cost O(items²).
 * A throttled item is sent by a trailing heartbeat at the end of the interval.
 */
export const RESUME_BEAT_MS = 200;

/** Results of the items an earlier attempt of this activity finished (from its heartbeat details), by item key. */
export function finishedItems<R>(): Record<string, R> {
  return { ...(previousHeartbeat<Partial<ResumeDetails<R>>>()?.done ?? {}) };
}

/** Heartbeat details of a resumable activity: the results of the items it finished, by item key. */
export interface ResumeDetails<R> {
  done: Record<string, R>;
  /** Items finished / items in all (for people reading the details in the UI). */
  progress: string;
}

/**
 * Runs `work` for every item (at most `concurrency` at a time) and returns the results in item order,
 * heartbeating the finished items' results after each item: a retry of the activity after a crash
 * takes those results from the previous attempt's heartbeat details and skips the items (SPEC §3:
 * a retry skips the months it already wrote). Safe because every item's output is written
 * create-only under a deterministic key. Finished items of other phases of the same activity (keys
 * not among `items`) stay in the details, so a later phase still finds them.
 */
export async function resumable<I, R>(items: I[], keyOf: (item: I) => string, concurrency: number, work: (item: I) => Promise<R>): Promise<{ results: R[]; skipped: number }> {
  const ctx = activityContext();
  const previous = previousHeartbeat<Partial<ResumeDetails<R>>>();
  const done: Record<string, R> = { ...(previous?.done ?? {}) };
  const wanted = new Set(items.map(keyOf));
  let skipped = 0;
  for (const key of Object.keys(done)) if (wanted.has(key)) skipped++;
  let finished = skipped;
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      const key = keyOf(items[i]);
      if (Object.hasOwn(done, key)) {
        results[i] = done[key];
        continue;
      }
      results[i] = await work(items[i]);
      done[key] = results[i];
      finished++;
      beat();
    }
  };
  let lastBeat = 0;
  let trailing: NodeJS.Timeout | undefined;
  const flush = () => {
    trailing = undefined;
    lastBeat = Date.now();
    if (ctx) send(ctx, { done, progress: `${finished}/${items.length}` } satisfies ResumeDetails<R>);
  };
  const beat = () => {
    const wait = lastBeat + RESUME_BEAT_MS - Date.now();
    if (wait <= 0) flush();
    else trailing ??= setTimeout(flush, wait);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  } finally {
    if (trailing) clearTimeout(trailing);
  }
  if (finished > skipped) flush();
  if (skipped > 0) ctx?.log.info("resumed from the previous attempt's heartbeat", { skipped, items: items.length });
  return { results, skipped };
}
