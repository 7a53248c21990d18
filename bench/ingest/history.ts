import { temporal } from "@temporalio/proto";
import type { WorkflowHandle } from "@temporalio/client";

type Timestamp = { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined;

function millis(t: Timestamp): number {
  if (!t) return 0;
  const s = typeof t.seconds === "number" ? t.seconds : (t.seconds?.toNumber() ?? 0);
  return s * 1000 + (t.nanos ?? 0) / 1e6;
}

/** One completed activity attempt: server times (epoch ms) of its ActivityTaskStarted and Completed events. */
export interface ActivitySpan {
  name: string;
  attempt: number;
  scheduledAt: number;
  startedAt: number;
  completedAt: number;
}

/** What a run's history says about its timing. */
export interface RunTiming {
  /** WorkflowExecutionStarted → Completed, ms. */
  workflowMs: number;
  startedAt: number;
  closedAt: number;
  spans: ActivitySpan[];
  /** ms from ActivityTaskStarted to Completed, summed per activity type. */
  activities: Record<string, number>;
  /** Sum of {@link activities}. */
  activityMs: number;
  /** Activity executions that needed more than one attempt: `name attempt N` (their extra attempts are N − 1). */
  retried: string[];
  /** Extra attempts over all activity executions: Σ (attempt − 1). */
  extraAttempts: number;
  /**
   * Heartbeat timeouts the history records: a retry whose last failure was one, or an activity that
   * timed out on one. A lower bound: a retry event keeps only the failure just before it.
   */
  heartbeatTimeouts: number;
  /** Every event as `[ms after WorkflowExecutionStarted, event type]`, in history order. */
  events: [number, string][];
}

type Failure = { timeoutFailureInfo?: { timeoutType?: unknown } | null; cause?: Failure | null } | null | undefined;

/** Whether a failure (or one of its causes) is a heartbeat timeout (TimeoutType 4). */
function heartbeatTimeout(f: Failure): boolean {
  for (let e = f; e; e = e.cause) {
    const t = e.timeoutFailureInfo?.timeoutType;
    if (t === 4 || t === "TIMEOUT_TYPE_HEARTBEAT") return true;
  }
  return false;
}

/** `EVENT_TYPE_ACTIVITY_TASK_STARTED` (or its enum number) as `ActivityTaskStarted`. */
function eventName(type: unknown): string {
  const name = typeof type === "number" ? (temporal.api.enums.v1.EventType[type] ?? String(type)) : String(type);
  return name.replace(/^EVENT_TYPE_/, "").toLowerCase().replace(/(^|_)([a-z])/g, (_, _u: string, c: string) => c.toUpperCase());
}

/** Reads a run's history into {@link RunTiming}. */
export async function runTiming(handle: WorkflowHandle): Promise<RunTiming> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<number, { name: string; at: number }>();
  const started = new Map<number, { at: number; attempt: number }>();
  const spans: ActivitySpan[] = [];
  const retried: string[] = [];
  let extraAttempts = 0;
  let heartbeatTimeouts = 0;
  let startedAt = 0;
  let closedAt = 0;
  const timeline: [number, string][] = [];
  for (const e of history.events ?? []) {
    const id = Number(e.eventId);
    const at = millis(e.eventTime);
    if (e.workflowExecutionStartedEventAttributes) startedAt = at;
    timeline.push([Math.round(at - startedAt), eventName(e.eventType)]);
    if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes) closedAt = at;
    if (e.activityTaskScheduledEventAttributes) scheduled.set(id, { name: e.activityTaskScheduledEventAttributes.activityType?.name ?? "?", at });
    const st = e.activityTaskStartedEventAttributes;
    if (st) {
      const attempt = st.attempt ?? 1;
      started.set(Number(st.scheduledEventId), { at, attempt });
      if (attempt > 1) {
        retried.push(`${scheduled.get(Number(st.scheduledEventId))?.name ?? "?"} attempt ${attempt}`);
        extraAttempts += attempt - 1;
      }
      if (heartbeatTimeout(st.lastFailure as Failure)) heartbeatTimeouts++;
    }
    if (heartbeatTimeout(e.activityTaskTimedOutEventAttributes?.failure as Failure)) heartbeatTimeouts++;
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const s = scheduled.get(Number(done.scheduledEventId));
      const b = started.get(Number(done.scheduledEventId));
      spans.push({ name: s?.name ?? "?", attempt: b?.attempt ?? 1, scheduledAt: s?.at ?? at, startedAt: b?.at ?? at, completedAt: at });
    }
  }
  const activities: Record<string, number> = {};
  for (const s of spans) activities[s.name] = Math.round((activities[s.name] ?? 0) + s.completedAt - s.startedAt);
  const activityMs = Object.values(activities).reduce((a, b) => a + b, 0);
  return { workflowMs: Math.round(closedAt - startedAt), startedAt, closedAt, spans, activities, activityMs, retried, extraAttempts, heartbeatTimeouts, events: timeline };
}

/** Milliseconds each activity type spent from ActivityTaskStarted to ActivityTaskCompleted, summed per type. */
export async function activityTimes(handle: WorkflowHandle): Promise<Record<string, number>> {
  return (await runTiming(handle)).activities;
}
