import { join } from "node:path";
import { writeTinySources } from "./data.js";
import type { ScenarioResult } from "./result.js";
import { ingest, withWorker, type BenchStack } from "./stack.js";
import { median, say } from "./stats.js";

/**
 * P5: a 10-row dataset end to end (client start → result), minus the activities' own time
 * (ActivityTaskStarted → Completed in the history). Two sources alternate, so every run publishes.
 */
export async function runOverhead(stack: BenchStack, runs: number): Promise<ScenarioResult> {
  const a = join(stack.dir, "tiny-a.csv");
  const b = join(stack.dir, "tiny-b.csv");
  writeTinySources(a, b);
  stack.define("tiny", a);
  const overhead: number[] = [];
  const wall: number[] = [];
  const workflowOverhead: number[] = [];
  const activity: number[] = [];
  await withWorker(stack, `file://${join(stack.dir, "store")}`, async (worker) => {
    for (let i = 0; i <= runs; i++) {
      const r = await ingest(stack, worker, "tiny", i % 2 ? b : a);
      if (r.status !== "published") throw new Error(`P5 run ${i}: ${r.status}`);
      if (i === 0) continue;
      wall.push(r.ms);
      activity.push(r.timing.activityMs);
      overhead.push(r.ms - r.timing.activityMs);
      workflowOverhead.push(r.timing.workflowMs - r.timing.activityMs);
    }
  });
  const ms = median(overhead);
  say(`P5: overhead ${ms} ms (wall ${median(wall)}, activities ${median(activity)})`);
  return {
    id: "P5",
    title: "P5 orchestration overhead, 10-row dataset",
    ms,
    runs: overhead,
    goal: "≤ 150 ms",
    met: ms <= 150,
    details: { wallMs: median(wall), activityMs: median(activity), workflowOnlyOverheadMs: median(workflowOverhead) },
  };
}
