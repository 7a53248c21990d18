import type { TidemarkMetrics } from "../src/observability/metrics";
import { activityContext } from "./heartbeat";

type ActivityFunction = (...args: never[]) => unknown;

/** The fault-injection hook of {@link ActivityDeps} (`faults`). */
export type FaultHook = (point: string) => void | Promise<void>;

function runLabels(args: unknown[]): { dataset?: string; version?: string } {
  const first = args[0];
  if (typeof first !== "object" || first === null) return {};
  const { dataset, version } = first as { dataset?: unknown; version?: unknown };
  return {
    ...(typeof dataset === "string" ? { dataset } : {}),
    ...(typeof version === "string" ? { version } : {}),
  };
}

/**
 * Wraps every activity so each attempt is timed into `tidemark_step_duration_seconds{step}`, a failed
 * attempt counts in `tidemark_step_failures_total{step}`, and a completed one logs a line (with the
 * dataset and version of its input) through the activity context logger. Behaviour (including sync or async results) is unchanged.
 * With a `faults` hook (tests only), each attempt also calls `faults("<step>:start")` before the work
 * and `faults("<step>:end")` after it succeeded, before the result reaches Temporal — the "done but
 * not recorded" boundary a crash test kills at. Without one, activities are not touched further.
 */
export function instrumentActivities<T extends Record<string, ActivityFunction>>(activities: T, metrics?: TidemarkMetrics, faults?: FaultHook): T {
  const timed = timeActivities(activities, metrics);
  return faults ? withFaultPoints(timed, faults) : timed;
}

/** Calls `faults` at the start and at the successful end of every activity attempt. */
function withFaultPoints<T extends Record<string, ActivityFunction>>(activities: T, faults: FaultHook): T {
  const wrapped: Record<string, ActivityFunction> = {};
  for (const [step, activity] of Object.entries(activities)) {
    const run = activity as (...args: unknown[]) => unknown;
    wrapped[step] = (async (...args: unknown[]) => {
      await faults(`${step}:start`);
      const value = await run(...args);
      await faults(`${step}:end`);
      return value;
    }) as ActivityFunction;
  }
  return wrapped as T;
}

function timeActivities<T extends Record<string, ActivityFunction>>(activities: T, metrics?: TidemarkMetrics): T {
  const wrapped: Record<string, ActivityFunction> = {};
  for (const [step, activity] of Object.entries(activities)) {
    const run = activity as (...args: unknown[]) => unknown;
    wrapped[step] = ((...args: unknown[]) => {
      const started = performance.now();
      const finish = (failed: boolean) => {
        const seconds = (performance.now() - started) / 1000;
        metrics?.stepDuration.observe({ step }, seconds);
        if (failed) metrics?.stepFailures.inc({ step });
        else activityContext()?.log.info(`${step} completed`, { ...runLabels(args), durationMs: Math.round(seconds * 1000) });
      };
      let result: unknown;
      try {
        result = run(...args);
      } catch (err) {
        finish(true);
        throw err;
      }
      if (!(result instanceof Promise)) {
        finish(false);
        return result;
      }
      return result.then(
        (value: unknown) => {
          finish(false);
          return value;
        },
        (err: unknown) => {
          finish(true);
          throw err;
        },
      );
    }) as ActivityFunction;
  }
  return wrapped as T;
}
