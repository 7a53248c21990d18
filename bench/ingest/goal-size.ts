import type { ScenarioResult } from "./result.js";

/** The sizes a bench run used (`Conditions.sizes`). */
export interface RunSizes {
  series: number;
  months: number;
  daily: number;
  p4Base: number;
  p4Source: number;
}

/** The size each goal names, as a check of the run's sizes; scenarios whose goal names no size are absent. */
const GOAL_SIZES: Record<string, { names: string; holds: (s: RunSizes) => boolean }> = {
  P1: { names: "1M rows (2,000 series × 500 months)", holds: (s) => s.series === 2000 && s.months === 500 && s.daily === 0 },
  P2: { names: "1M rows (2,000 series × 500 months)", holds: (s) => s.series === 2000 && s.months === 500 && s.daily === 0 },
  P4: { names: "a 1M-row upsert against 10M keys through the workflow", holds: (s) => s.p4Base === 10_000_000 && s.p4Source === 1_000_000 },
  "P4-planner": { names: "the real workflow (this is the planner alone)", holds: () => false },
  "P3-minio": { names: "CLI start → done (this is a client start → result)", holds: () => false },
};

/**
 * A goal is "met" only at the size it names: a result that beat its goal at another size (or by
 * another measure) is reported as not judged, saying which size the goal needs.
 */
export function judgeAtGoalSize(result: ScenarioResult, sizes: RunSizes): ScenarioResult {
  const goal = GOAL_SIZES[result.id] ?? GOAL_SIZES[result.id.replace(/-minio$/, "")];
  if (!goal || result.met === null || goal.holds(sizes)) return result;
  return { ...result, met: null, goal: `${result.goal} (not judged: the goal names ${goal.names})` };
}
