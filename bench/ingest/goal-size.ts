import type { ScenarioResult } from "./result.js";

/** The sizes a bench run used (`Conditions.sizes`). */
export interface RunSizes {
  series: number;
  months: number;
  daily: number;
  p4Base: number;
  p4Source: number;
  p7Series: number;
  p7Months: number;
}

const MILLION = { names: "1M rows (2,000 series × 500 months)", holds: (s: RunSizes) => s.series === 2000 && s.months === 500 && s.daily === 0 };

/** The size each goal names, as a check of the run's sizes; scenarios whose goal names no size are absent. */
const GOAL_SIZES: Record<string, { names: string; holds: (s: RunSizes) => boolean }> = {
  P1: MILLION,
  "P1-duckdb": MILLION,
  P2: MILLION,
  "P2-changed-only": MILLION,
  // P3 re-reads P2's source: the unchanged check of a smaller source is cheaper, so it is judged at 1M rows.
  "P3-file": MILLION,
  "P3-https": MILLION,
  "P3-s3": MILLION,
  P4: { names: "a 1M-row upsert against 10M keys through the workflow", holds: (s) => s.p4Base === 10_000_000 && s.p4Source === 1_000_000 },
  P7: { names: "10M rows (20,000 series × 500 months)", holds: (s) => s.p7Series === 20_000 && s.p7Months === 500 },
};

/**
 * A goal is "met" only at the size it names: a result that beat its goal at another size is reported
 * as not judged, saying which size the goal needs. MinIO rows (`-minio`) follow their file:// goal.
 */
export function judgeAtGoalSize(result: ScenarioResult, sizes: RunSizes): ScenarioResult {
  const goal = GOAL_SIZES[result.id.replace(/-minio$/, "")];
  if (!goal || result.met === null || goal.holds(sizes)) return result;
  return { ...result, met: null, goal: `${result.goal} (not judged: the goal names ${goal.names})` };
}
