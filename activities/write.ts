import type { BaseVersion } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { type Engine, sharedEngine } from "../src/engine/connection";
import { batchesOf, batchIndex, STAGE_ROWS, stagedInTurn } from "../src/engine/batches";
import { currentChanges, dirtyMonths, eventsAreChanges, eventsFileCopySql, eventsFileCounts, filesHoldingChangedKeys, rowsPerMonth, stageProjections, type StagedMonths } from "../src/engine/months";
import { type Ahead, runAhead } from "../src/engine/pipeline";
import { EngineTask } from "../src/engine/task";
import { readParquet } from "../src/engine/sql";
import { Workspace } from "../src/engine/workspace";
import { DatasetLayout, monthLabel, parseMonthLabel } from "../src/layout";
import { monthEntry, monthFiles, type MonthFile } from "../src/manifest/month-files";
import type { EventFile, ProjectionFile } from "../src/manifest/schema";
import { parentEntries, planKeyRead, planMonthParts, planProjectionMonths, type ProjectionMonthPlan } from "../src/manifest/projection-plan";
import { DEFAULT_MAX_PARTS } from "../src/manifest/optimize";
import { readManifest } from "../src/manifest/read";
import type { ActivityDeps } from "./deps";
import { ENGINE_LANES } from "./engine";
import { currentDetails, finishedItems, resumable, withKeepAlive } from "./heartbeat";
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

/** Local paths of the run's staged changes (in their current form, see {@link currentChanges}) and removals (written by the delta). */
async function stagedDelta(task: EngineTask, workspace: Workspace, layout: DatasetLayout, scratch: string, input: MonthsInput): Promise<{ changes: string; removals: string }> {
  const changes = await currentChanges(task, input.definition, input.version, await workspace.local(layout.key(scratch + SCRATCH.changes)), workspace.path("changes.parquet"));
  return { changes, removals: await workspace.local(layout.key(scratch + SCRATCH.removals)) };
}

/** What a resumed write needs of a finished projection month: the files it wrote and the indices of the base files it carried. */
interface MonthDone {
  written: ProjectionFile[];
  carried: number[];
}

/** One file-writing item of a version: its event file (keyed `events`) or a projection month (`parts:<projection>/<month>`). */
type Item = { kind: "events"; key: string } | { kind: "projection"; key: string; entry: ProjectionMonthPlan; projection: number };

const projectionKey = (e: Pick<ProjectionMonthPlan, "projection" | "month">) => `parts:${e.projection}/${e.month}`;

/** Sizes of carried files whose `/1` entry lacks them. */
async function withBytes(store: ActivityDeps["store"], layout: DatasetLayout, files: MonthFile[]): Promise<ProjectionFile[]> {
  return mapLimited(files, IO_CONCURRENCY, async (f) => ({ path: f.path, rows: f.rows, bytes: f.bytes ?? (await store.head(layout.key(f.path))).size }));
}

/** Which phases of a version {@link writeVersion} writes. */
interface Phases {
  events: boolean;
  projections: boolean;
}

/**
 * Writes the event files and/or the projection months of a version (SPEC §2, format `/2`). The
 * engine stages only the months an earlier attempt did not finish (heartbeat details), then writes
 * their files on its connections while the files already written are uploaded create-only, each
 * item heartbeated as finished once it is durable in the store; `progress` counts both phases.
 * Event months: inserts and updates from the delta, deletes with their last known values. Projection
 * months: the parts holding a key this version changes or removes are rewritten, with the month's
 * inserts and updates, into one new file (sorted by key); the other parts are carried forward, so a
 * pure append writes only its new rows. A projection new in the definition also gets every untouched
 * live month (a copy of another projection's files).
 */
async function writeVersion(deps: ActivityDeps, input: MonthsInput, phases: Phases): Promise<Written> {
  const { store } = deps;
  const { dataset, version, definition, base, months } = input;
  const layout = new DatasetLayout(dataset);
  const scratch = layout.runs(input.scratch ?? version);
  const parent = base ? await readManifest(store, dataset, base.manifest) : null;
  const names = definition.projections.map((p) => p.name);
  const baseMonths = parentEntries(parent?.projections ?? null, names[0]);
  const plan = phases.projections ? planProjectionMonths(names, parent?.projections ?? null, months) : [];
  const items: Item[] = [
    ...(phases.events && months.length > 0 ? [{ kind: "events", key: "events" } satisfies Item] : []),
    ...plan.map((entry): Item => ({ kind: "projection", key: projectionKey(entry), entry, projection: names.indexOf(entry.projection) })),
  ];
  const finished = finishedItems<unknown>();
  const pending = items.filter((i) => !Object.hasOwn(finished, i.key));
  const engine: Engine = await (deps.engine ?? sharedEngine)();
  const workspace = await Workspace.open(store, engine.settings.tempDirectory);
  try {
    const results = await withKeepAlive(async (_signal, note) => {
      note(currentDetails());
      return EngineTask.run(engine, ENGINE_LANES, async (task) => {
        const delta = await stagedDelta(task, workspace, layout, scratch, input);
        const monthRows = await rowsPerMonth(task, definition, delta.changes, delta.removals);
        const weight = (i: Item) => (i.kind === "events" ? 0 : (monthRows.get(parseMonthLabel(i.entry.month)!) ?? 0) + i.entry.base.reduce((n, f) => n + f.rows, 0));
        const batches = [...batchesOf(pending.filter((i) => i.kind === "events"), weight, STAGE_ROWS), ...batchesOf(pending.filter((i) => i.kind === "projection"), weight, STAGE_ROWS)];
        const ctx: StageContext = { layout, dataset, version, definition, delta, dirty: once(async () => new Set((await dirtyMonths(task, definition, delta.changes, delta.removals)).map(monthLabel))) };
        // One batch of months is staged at a time, once the statements of the batch before it all ran and its tables were dropped.
        const phaseOf: (item: Item) => Promise<StagedPhase<EventFile | null | MonthDone>> = stagedInTurn(
          batches,
          (batch): Promise<StagedPhase<EventFile | null | MonthDone>> => (batch[0].kind === "events" ? stageEventsFile(task, workspace, { ...ctx, baseMonths }) : stageProjectionMonths(task, workspace, ctx, batch)),
          (item: Item): Promise<void> => ahead.ready(item),
        );
        const out = (item: Item) => (item.kind === "events" ? workspace.path("events.parquet") : workspace.path(`month-${item.projection}-${parseMonthLabel(item.entry.month)}.parquet`));
        const batchOf = batchIndex<Item>(batches);
        const ahead: Ahead<Item> = runAhead(task, pending, async (item) => (await phaseOf(item)).sql(item, out(item)), (a, b) => batchOf.get(a) === batchOf.get(b));
        try {
          const { results } = await resumable(items, (i) => i.key, IO_CONCURRENCY, async (item): Promise<EventFile | null | MonthDone> => {
            await ahead.ready(item);
            const done = await (await phaseOf(item)).publish(item, out(item));
            note(currentDetails());
            return done;
          });
          return results;
        } finally {
          await ahead.stop();
        }
      });
    });
    const eventFiles = items.flatMap((item, i) => (item.kind === "events" && results[i] ? [results[i] as EventFile] : []));
    const touched: TouchedProjections = {};
    if (phases.projections) for (const name of names) touched[name] = {};
    await mapLimited([...items.entries()], IO_CONCURRENCY, async ([i, item]) => {
      if (item.kind !== "projection") return;
      const done = results[i] as MonthDone;
      const carried = await withBytes(store, layout, done.carried.map((k) => item.entry.base[k]));
      touched[item.entry.projection][item.entry.month] = monthEntry([...carried, ...done.written]);
    });
    for (const name of Object.keys(touched)) touched[name] = Object.fromEntries(Object.entries(touched[name]).sort(([a], [b]) => a.localeCompare(b)));
    return { events: eventFiles, projections: touched };
  } finally {
    await workspace.close();
  }
}

/** What staging gives the pipeline for one batch: the statement writing an item's file, and how the item is published. */
interface StagedPhase<R> {
  sql(item: Item, out: string): string | null;
  publish(item: Item, out: string): Promise<R>;
  /** Drops the batch's staged tables once its statements all ran (before the next batch is staged). */
  drop?(): Promise<void>;
}

interface StageContext {
  layout: DatasetLayout;
  dataset: string;
  version: string;
  definition: DatasetDefinition;
  delta: { changes: string; removals: string };
  /** Months (YYYY-MM) where the run updates or removes a key (computed once for every batch). */
  dirty: () => Promise<Set<string>>;
}

/** `fn` called once, on first use; later calls share its promise. */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

/**
 * Stages the version's single event file (SPEC §2, format `/2`): fetches the base files of the months
 * keys leave (their deletes carry the last values) and counts what the file holds; nothing when the
 * version has no events, and the changes file as it is when it has no deletes.
 */
async function stageEventsFile(task: EngineTask, workspace: Workspace, ctx: StageContext & { baseMonths: ReturnType<typeof parentEntries> }): Promise<StagedPhase<EventFile | null>> {
  const { layout, dataset, version, definition, baseMonths, delta } = ctx;
  const leaving = await task.rows<{ m: number }>(`SELECT DISTINCT month AS m FROM ${readParquet(delta.removals)} ORDER BY m`);
  const missing = leaving.map((r) => monthLabel(Number(r.m))).filter((label) => !baseMonths[label]);
  if (missing.length > 0) throw new Error(`The base projection of ${missing[0]} is missing although keys leave it; run "tidemark verify ${dataset} --repair".`);
  const leavingFiles = leaving.flatMap((r) => monthFiles(baseMonths[monthLabel(Number(r.m))]));
  const baseFiles = await mapLimited(leavingFiles, IO_CONCURRENCY, (f) => workspace.local(layout.key(f.path)));
  const run = { definition, version, changes: delta.changes, removals: delta.removals, baseFiles };
  const counts = await eventsFileCounts(task, run);
  const asIs = await eventsAreChanges(task, run, counts);
  return {
    sql: (_item, out) => (counts.rows > 0 && !asIs ? eventsFileCopySql(run, out) : null),
    publish: async (_item, out) => {
      if (counts.rows === 0) return null;
      const path = layout.eventsFile(version);
      const bytes = await workspace.uploadOnce(asIs ? run.changes : out, layout.key(path), { move: !asIs });
      const { months, ...rows } = counts;
      return { path, months: months.map(monthLabel), ...rows, bytes };
    },
  };
}

/** Stages a batch of pending projection months: which base parts each rewrites, copies or carries, and the new state of the touched ones. */
async function stageProjectionMonths(task: EngineTask, workspace: Workspace, ctx: StageContext, pending: Item[]): Promise<StagedPhase<MonthDone>> {
  const { layout, dataset, version, definition, delta } = ctx;
  const entries = pending.flatMap((i) => (i.kind === "projection" ? [i] : []));
  const parts = new Map<string, ReturnType<typeof planMonthParts>>();
  const rows = new Map<string, number>();
  const copies = new Map<number, StagedMonths>();
  const locals = new Map<string, Promise<string>>();
  const localOf = (path: string) => {
    if (!locals.has(path)) locals.set(path, workspace.local(layout.key(path)));
    return locals.get(path)!;
  };
  if (entries.length > 0) {
    const dirty = await ctx.dirty();
    const keyRead = planKeyRead(entries.map((i) => i.entry), dirty);
    const lookLocal = await mapLimited(keyRead.read, IO_CONCURRENCY, async (p) => [p, await localOf(p)] as const);
    const holding = await filesHoldingChangedKeys(task, definition, delta.changes, delta.removals, lookLocal.map(([, l]) => l));
    const hit = new Set([...keyRead.held, ...lookLocal.filter(([, l]) => holding.has(l)).map(([p]) => p)]);
    for (const i of entries) parts.set(i.key, planMonthParts(i.entry, (p) => hit.has(p), dataset, version, definition.max_parts ?? DEFAULT_MAX_PARTS));
    for (const [index, projection] of definition.projections.map((p) => p.name).entries()) {
      const touched = entries.filter((i) => i.entry.projection === projection && i.entry.touched);
      if (touched.length === 0) continue;
      const baseFiles = await mapLimited(
        touched.flatMap((i) => parts.get(i.key)!.rewritten),
        IO_CONCURRENCY,
        (f) => localOf(f.path),
      );
      const months = touched.map((i) => parseMonthLabel(i.entry.month)!);
      const staged = await stageProjections(task, { definition, version, changes: delta.changes, removals: delta.removals, baseFiles, months }, `_${index}`);
      copies.set(index, staged);
      for (const f of staged.files) rows.set(projectionKey({ projection, month: monthLabel(f.month) }), f.rows);
    }
  }
  return {
    drop: async () => {
      for (const staged of copies.values()) await staged.drop();
    },
    sql: (item, out) => (item.kind === "projection" && item.entry.touched && (rows.get(item.key) ?? 0) > 0 ? copies.get(item.projection)!.copy(parseMonthLabel(item.entry.month)!, out) : null),
    publish: async (item, out) => {
      const { entry } = item as Extract<Item, { kind: "projection" }>;
      const p = parts.get(item.key)!;
      const written: ProjectionFile[] = [];
      for (const { from, to } of p.copies) written.push({ path: to, rows: from.rows, bytes: await workspace.uploadOnce(await localOf(from.path), layout.key(to)) });
      const n = rows.get(item.key) ?? 0;
      if (entry.touched && n > 0) written.push({ path: p.path, rows: n, bytes: await workspace.uploadOnce(out, layout.key(p.path), { move: true }) });
      return { written, carried: p.carried.map((f) => entry.base.indexOf(f)) };
    },
  };
}

/** Step 4 alone: the version's event file (see {@link writeVersion}). */
export function writeEventsActivities(deps: ActivityDeps) {
  return {
    async writeEvents(input: MonthsInput): Promise<EventFile[]> {
      return (await writeVersion(deps, input, { events: true, projections: false })).events;
    },
  };
}

/** Step 5 alone: the new state of every touched projection month (see {@link writeVersion}). */
export function consolidateActivities(deps: ActivityDeps) {
  return {
    async consolidate(input: MonthsInput): Promise<TouchedProjections> {
      return (await writeVersion(deps, input, { events: false, projections: true })).projections;
    },
  };
}

/** Result of `write`: the event files and the projection months of the version. */
export interface Written {
  events: EventFile[];
  projections: TouchedProjections;
}

/**
 * Steps 4–5 (events, then projections) as one activity, one pipeline: a retry skips every event
 * month and projection month an earlier attempt finished, and stages only the rest.
 */
export function writeActivities(deps: ActivityDeps) {
  const { writeEvents } = writeEventsActivities(deps);
  const { consolidate } = consolidateActivities(deps);
  return {
    writeEvents,
    consolidate,
    async write(input: MonthsInput): Promise<Written> {
      return writeVersion(deps, input, { events: true, projections: true });
    },
  };
}
