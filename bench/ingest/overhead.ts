import { join } from "node:path";
import { writeTinySources } from "./data.js";
import type { ScenarioResult } from "./result.js";
import { ingest, withWorker, type BenchStack } from "./stack.js";
import { median, say } from "./stats.js";

/** Where a run's workflow-side overhead goes: task dispatch (…Scheduled → …Started) and workflow task processing (Started → Completed). */
export function overheadParts(events: [number, string][]): { dispatchMs: number; dispatches: number; workflowTaskMs: number; workflowTasks: number } {
  let dispatchMs = 0;
  let dispatches = 0;
  let workflowTaskMs = 0;
  let workflowTasks = 0;
  const open = new Map<string, number>();
  for (const [t, name] of events) {
    const kind = name.replace(/(Scheduled|Started|Completed)$/, "");
    if (kind !== "WorkflowTask" && kind !== "ActivityTask") continue;
    if (name.endsWith("Scheduled")) open.set(kind, t);
    else if (name.endsWith("Started") && open.has(kind)) {
      dispatchMs += t - open.get(kind)!;
      dispatches++;
      open.set(`${kind}Run`, t);
    } else if (name === "WorkflowTaskCompleted" && open.has("WorkflowTaskRun")) {
      workflowTaskMs += t - open.get("WorkflowTaskRun")!;
      workflowTasks++;
    }
  }
  return { dispatchMs, dispatches, workflowTaskMs, workflowTasks };
}

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
      const parts = overheadParts(r.timing.events);
      say(`P5 run ${i}: wall ${r.ms}, workflow ${r.timing.workflowMs}, activities ${r.timing.activityMs}, task dispatch ${parts.dispatchMs} (${parts.dispatches}), workflow tasks ${parts.workflowTaskMs} (${parts.workflowTasks})`);
      if (process.env.BENCH_P5_TIMELINE) say(r.timing.events.map(([t, n]) => `${t} ${n}`).join(", "));
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
