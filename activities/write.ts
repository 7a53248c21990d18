import type { BaseVersion } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { buildEvents, buildProjections, dirtyMonths, filesHoldingChangedKeys } from "../src/engine/months";
import { sqlString } from "../src/engine/sql";
import type { Workspace } from "../src/engine/workspace";
import { DatasetLayout, monthLabel, parseMonthLabel } from "../src/layout";
import { monthEntry, monthFiles, type MonthFile } from "../src/manifest/month-files";
import type { EventFile, ProjectionFile } from "../src/manifest/schema";
import { needsKeyRead, parentEntries, planMonthParts, planProjectionMonths, type ProjectionMonthPlan } from "../src/manifest/projection-plan";
import { DEFAULT_MAX_PARTS } from "../src/manifest/optimize";
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
      const baseMonths = parentEntries(parent?.projections ?? null, definition.projections[0].name);
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
          const leavingFiles = leaving.flatMap((r) => monthFiles(baseMonths[monthLabel(Number(r.m))]));
          const baseFiles = await mapLimited(leavingFiles, IO_CONCURRENCY, (f) => workspace.local(layout.key(f.path)));
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

/** What a resumed consolidate needs of a finished month: the files it wrote and the indices of the base files it carried. */
interface MonthDone {
  written: ProjectionFile[];
  carried: number[];
}

/** Sizes of carried files whose `/1` entry lacks them. */
async function withBytes(store: ActivityDeps["store"], layout: DatasetLayout, files: MonthFile[]): Promise<ProjectionFile[]> {
  return mapLimited(files, IO_CONCURRENCY, async (f) => ({ path: f.path, rows: f.rows, bytes: f.bytes ?? (await store.head(layout.key(f.path))).size }));
}

/**
 * Step 5: the new state of every touched month (SPEC §2, format `/2`): the parts holding a key this
 * version changes or removes are rewritten, with the month's inserts and updates, into one new file
 * (sorted by key); the other parts are carried forward, so a pure append writes only its new rows. A
 * projection new in the definition also gets every untouched live month (a copy of another
 * projection's files). Resumes per projection month from the heartbeat details.
 */
export function consolidateActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async consolidate({ dataset, version, definition, base, months, scratch: run }: MonthsInput): Promise<TouchedProjections> {
      const layout = new DatasetLayout(dataset);
      const parent = base ? await readManifest(store, dataset, base.manifest) : null;
      const scratch = layout.runs(run ?? version);
      const plan = planProjectionMonths(definition.projections.map((p) => p.name), parent?.projections ?? null, months);
      const keyOf = (e: Pick<ProjectionMonthPlan, "projection" | "month">) => `parts:${e.projection}/${e.month}`;
      const finished = finishedItems<MonthDone>();
      const pending = plan.filter((e) => !Object.hasOwn(finished, keyOf(e)));
      return withEngine(
        deps,
        ENGINE_LANES,
        async (task, workspace) => {
          const { changes, removals } = await stagedDelta(workspace, layout, scratch);
          const dirty = new Set((await dirtyMonths(task, changes, removals)).map(monthLabel));
          const locals = new Map<string, string>();
          const localOf = async (path: string) => {
            if (!locals.has(path)) locals.set(path, await workspace.local(layout.key(path)));
            return locals.get(path)!;
          };
          const look = pending.filter((e) => needsKeyRead(e, dirty)).flatMap((e) => e.base.map((f) => f.path));
          const lookLocal = await mapLimited([...new Set(look)], IO_CONCURRENCY, async (p) => [p, await localOf(p)] as const);
          const holding = await filesHoldingChangedKeys(task, definition, changes, removals, lookLocal.map(([, l]) => l));
          const hit = new Set(lookLocal.filter(([, l]) => holding.has(l)).map(([p]) => p));
          const parts = new Map(pending.map((e) => [keyOf(e), planMonthParts(e, (p) => hit.has(p), dataset, version, definition.max_parts ?? DEFAULT_MAX_PARTS)]));
          const rows = new Map<string, number>();
          const outs = new Map<string, string>();
          for (const [i, projection] of definition.projections.map((p) => p.name).entries()) {
            const entries = pending.filter((e) => e.projection === projection && e.touched);
            if (entries.length === 0) continue;
            const baseFiles = await mapLimited(entries.flatMap((e) => parts.get(keyOf(e))!.rewritten), IO_CONCURRENCY, (f) => localOf(f.path));
            const out = (m: number) => workspace.path(`month-${i}-${m}.parquet`);
            const built = await buildProjections(task, { definition, version, changes, removals, baseFiles, months: entries.map((e) => parseMonthLabel(e.month)!), out }, `_${i}`);
            for (const f of built) {
              const key = keyOf({ projection, month: monthLabel(f.month) });
              rows.set(key, f.rows);
              outs.set(key, out(f.month));
            }
          }
          return { parts, rows, outs };
        },
        async ({ parts, rows, outs }, workspace) => {
          const { results } = await resumable(plan, keyOf, IO_CONCURRENCY, async (entry): Promise<MonthDone> => {
            const p = parts.get(keyOf(entry))!;
            const written: ProjectionFile[] = [];
            for (const { from, to } of p.copies) written.push({ path: to, rows: from.rows, bytes: await workspace.uploadOnce(await workspace.local(layout.key(from.path)), layout.key(to)) });
            const n = rows.get(keyOf(entry)) ?? 0;
            if (entry.touched && n > 0) written.push({ path: p.path, rows: n, bytes: await workspace.uploadOnce(outs.get(keyOf(entry))!, layout.key(p.path)) });
            return { written, carried: p.carried.map((f) => entry.base.indexOf(f)) };
          });
          const touched: TouchedProjections = {};
          for (const p of definition.projections) touched[p.name] = {};
          await mapLimited([...plan.entries()], IO_CONCURRENCY, async ([i, entry]) => {
            const carried = await withBytes(store, layout, results[i].carried.map((k) => entry.base[k]));
            touched[entry.projection][entry.month] = monthEntry([...carried, ...results[i].written]);
          });
          for (const p of definition.projections) touched[p.name] = Object.fromEntries(Object.entries(touched[p.name]).sort(([a], [b]) => a.localeCompare(b)));
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
