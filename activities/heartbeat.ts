import { Context } from "@temporalio/activity";

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

/** Heartbeat details recorded by a previous attempt of this activity, if any. */
export function previousHeartbeat<T>(): T | undefined {
  return activityContext()?.info.heartbeatDetails as T | undefined;
}
