import type { BaseVersion } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { buildEvents, buildProjections } from "../src/engine/months";
import { sqlString } from "../src/engine/sql";
import type { Workspace } from "../src/engine/workspace";
import { DatasetLayout, monthLabel, parseMonthLabel } from "../src/layout";
import type { EventFile, ProjectionMonth } from "../src/manifest/schema";
import { parentMonths, planProjectionMonths } from "../src/manifest/projection-plan";
import { readManifest } from "./base";
import type { ActivityDeps } from "./deps";
import { ENGINE_LANES, withEngine } from "./engine";
import { finishedItems, resumable } from "./heartbeat";
import { IO_CONCURRENCY, mapLimited, SCRATCH } from "./io";
import type { TouchedProjections } from "./publish";

/** Input of `writeEvents` and `consolidate`. */
export interface MonthsInput {
  dataset: string;
  version: string;
  definition: DatasetDefinition;
  base: BaseVersion | null;
  /** Touched months, YYYY-MM. */
  months: string[];
  /** Version id of the run's scratch (`runs/<scratch>/`); `version` when absent (the run's first plan). */
  scratch?: string;
}

/** Local paths of the run's staged changes and removals (written by the delta). */
async function stagedDelta(workspace: Workspace, layout: DatasetLayout, scratch: string): Promise<{ changes: string; removals: string }> {
  return { changes: await workspace.local(layout.key(scratch + SCRATCH.changes)), removals: await workspace.local(layout.key(scratch + SCRATCH.removals)) };
}

/** Step 4: one event file per touched month: inserts and updates from the delta, deletes with their last known values (DuckDB). */
export function writeEventsActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async writeEvents({ dataset, version, definition, base, months, scratch: run }: MonthsInput): Promise<EventFile[]> {
      const layout = new DatasetLayout(dataset);
      const scratch = layout.runs(run ?? version);
      const parent = base ? await readManifest(store, dataset, base.manifest) : null;
      const baseMonths = parentMonths(parent?.projections ?? null, definition.projections[0].name);
      const finished = finishedItems<EventFile>();
      const wanted = months.filter((m) => !Object.hasOwn(finished, m)).map((m) => parseMonthLabel(m)!);
      return withEngine(
        deps,
        ENGINE_LANES,
        async (task, workspace) => {
          const { changes, removals } = await stagedDelta(workspace, layout, scratch);
          const todo = new Set(wanted);
          const leaving = (await task.rows<{ m: number }>(`SELECT DISTINCT month AS m FROM read_parquet(${sqlString(removals)})`)).filter((r) => todo.has(Number(r.m)));
          const missing = leaving.map((r) => monthLabel(Number(r.m))).filter((label) => !baseMonths[label]);
          if (missing.length > 0) throw new Error(`The base projection of ${missing[0]} is missing although keys leave it; run "tidemark verify ${dataset} --repair".`);
          const baseFiles = await mapLimited(leaving, IO_CONCURRENCY, (r) => workspace.local(layout.key(baseMonths[monthLabel(Number(r.m))].path)));
          const out = (m: number) => workspace.path(`events-${m}.parquet`);
          const files = await buildEvents(task, { definition, version, changes, removals, baseFiles, months: wanted, out });
          return { files, out };
        },
        async ({ files, out }, workspace) => {
          const built = new Map(files.map((f) => [monthLabel(f.month), f]));
          const { results } = await resumable(months, (label) => label, IO_CONCURRENCY, async (label): Promise<EventFile> => {
            const f = built.get(label)!;
            const path = layout.eventPart(version, f.month, 0);
            const bytes = await workspace.uploadOnce(out(f.month), layout.key(path));
            return { path, month: label, rows: f.rows, bytes, inserted: f.inserted, updated: f.updated, deleted: f.deleted };
          });
          return results;
        },
      );
    },
  };
}

/**
 * Step 5: the new state of every touched month (copy-on-write), computed once by DuckDB and written
 * for each projection: the base month without the keys this run changed or removed, plus the run's
 * inserts and updates of that month, sorted by key. A projection new in the definition also gets
 * every untouched live month (a copy of another projection's file).
 */
export function consolidateActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async consolidate({ dataset, version, definition, base, months, scratch: run }: MonthsInput): Promise<TouchedProjections> {
      const layout = new DatasetLayout(dataset);
      const parent = base ? await readManifest(store, dataset, base.manifest) : null;
      const scratch = layout.runs(run ?? version);
      const plan = planProjectionMonths(definition.projections.map((p) => p.name), parent?.projections ?? null, months);
      const finished = finishedItems<ProjectionMonth | null>();
      const pending = plan.filter((e) => e.touched && !Object.hasOwn(finished, `${e.projection}/${e.month}`));
      const todo = [...new Set(pending.map((e) => e.month))].sort();
      const baseOf = new Map<string, string>();
      for (const entry of pending) if (entry.base && !baseOf.has(entry.month)) baseOf.set(entry.month, entry.base.path);
      return withEngine(
        deps,
        ENGINE_LANES,
        async (task, workspace) => {
          const { changes, removals } = await stagedDelta(workspace, layout, scratch);
          const baseFiles = await mapLimited([...baseOf.values()], IO_CONCURRENCY, (p) => workspace.local(layout.key(p)));
          const out = (m: number) => workspace.path(`month-${m}.parquet`);
          const files = await buildProjections(task, { definition, version, changes, removals, baseFiles, months: todo.map((m) => parseMonthLabel(m)!), out });
          return { rows: new Map(files.map((f) => [monthLabel(f.month), f.rows])), out };
        },
        async ({ rows, out }, workspace) => {
          const { results } = await resumable(plan, (e) => `${e.projection}/${e.month}`, IO_CONCURRENCY, async (entry): Promise<ProjectionMonth | null> => {
            const month = parseMonthLabel(entry.month)!;
            const path = layout.projection(entry.projection, month, version);
            if (!entry.touched) {
              const bytes = await workspace.uploadOnce(await workspace.local(layout.key(entry.base!.path)), layout.key(path));
              return { path, rows: entry.base!.rows, bytes };
            }
            const n = rows.get(entry.month) ?? 0;
            return n === 0 ? null : { path, rows: n, bytes: await workspace.uploadOnce(out(month), layout.key(path)) };
          });
          const touched: TouchedProjections = {};
          for (const p of definition.projections) touched[p.name] = {};
          plan.forEach((entry, i) => (touched[entry.projection][entry.month] = results[i]));
          return touched;
        },
      );
    },
  };
}

/** Result of `write`: the event files and the projection months of the version. */
export interface Written {
  events: EventFile[];
  projections: TouchedProjections;
}

/**
 * Steps 4–5 (events, then projections) as one activity. Both resume from the heartbeat details: a
 * retry skips every event month and projection month an earlier attempt finished.
 */
export function writeActivities(deps: ActivityDeps) {
  const { writeEvents } = writeEventsActivities(deps);
  const { consolidate } = consolidateActivities(deps);
  return {
    writeEvents,
    consolidate,
    async write(input: MonthsInput): Promise<Written> {
      const events = await writeEvents(input);
      const projections = await consolidate(input);
      return { events, projections };
    },
  };
}
