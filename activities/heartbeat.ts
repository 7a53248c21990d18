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

/** Heartbeat details recorded by a previous attempt of this activity, if any. */
export function previousHeartbeat<T>(): T | undefined {
  return activityContext()?.info.heartbeatDetails as T | undefined;
}
