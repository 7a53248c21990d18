import { type Engine, sharedEngine } from "../src/engine/connection";
import { EngineTask } from "../src/engine/task";
import { Workspace } from "../src/engine/workspace";
import type { ActivityDeps } from "./deps";
import { currentDetails, withKeepAlive } from "./heartbeat";

/** Lanes (connections) of a task that writes one file per month. */
export const ENGINE_LANES = 2;

/** Runs `fn` in a task of its own (new connections, closed when it returns), so what DuckDB held for one step is released before the next. */
export type InTask = <R>(fn: (task: EngineTask) => Promise<R>) => Promise<R>;

/**
 * Runs engine work for an activity: `compute` gets a task with `lanes` connections, a workspace
 * for local files and {@link InTask} for steps that should not share a connection, and heartbeats
 * flow every few seconds while DuckDB works off the event loop (the latest details of this attempt,
 * or the previous attempt's, are re-sent, so a resume still finds them); `finish` then uploads from
 * the workspace, heartbeating on its own (e.g. through `resumable`).
 */
export async function withEngine<C, T>(
  deps: ActivityDeps,
  lanes: number,
  compute: (task: EngineTask, workspace: Workspace, inTask: InTask) => Promise<C>,
  finish: (computed: C, workspace: Workspace) => Promise<T>,
): Promise<T> {
  const engine: Engine = await (deps.engine ?? sharedEngine)();
  const workspace = await Workspace.open(deps.store, engine.settings.tempDirectory);
  try {
    const computed = await withKeepAlive(async (_signal, note) => {
      note(currentDetails());
      return EngineTask.run(engine, lanes, (task) => compute(task, workspace, (fn) => EngineTask.run(engine, lanes, fn)));
    });
    return await finish(computed, workspace);
  } finally {
    await workspace.close();
  }
}
