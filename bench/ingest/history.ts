import type { WorkflowHandle } from "@temporalio/client";

type Timestamp = { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined;

function millis(t: Timestamp): number {
  if (!t) return 0;
  const s = typeof t.seconds === "number" ? t.seconds : (t.seconds?.toNumber() ?? 0);
  return s * 1000 + (t.nanos ?? 0) / 1e6;
}

/** Milliseconds each activity type spent from ActivityTaskStarted to ActivityTaskCompleted, summed per type. */
export async function activityTimes(handle: WorkflowHandle): Promise<Record<string, number>> {
  const history = await handle.fetchHistory();
  const names = new Map<number, string>();
  const started = new Map<number, number>();
  const out: Record<string, number> = {};
  for (const e of history.events ?? []) {
    const id = Number(e.eventId);
    if (e.activityTaskScheduledEventAttributes) names.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? "?");
    if (e.activityTaskStartedEventAttributes) started.set(Number(e.activityTaskStartedEventAttributes.scheduledEventId), millis(e.eventTime));
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const scheduled = Number(done.scheduledEventId);
      const name = names.get(scheduled) ?? "?";
      out[name] = (out[name] ?? 0) + millis(e.eventTime) - (started.get(scheduled) ?? millis(e.eventTime));
    }
  }
  return out;
}
