import { buildProjections } from "../src/engine/months";
import { DatasetLayout, monthLabel, parseMonthLabel } from "../src/layout";
import type { ProjectionMonth } from "../src/manifest/schema";
import { planProjectionMonths } from "../src/manifest/projection-plan";
import { readManifest } from "./base";
import type { ActivityDeps } from "./deps";
import { ENGINE_LANES, withEngine } from "./engine";
import { resumable } from "./heartbeat";
import { IO_CONCURRENCY, mapLimited, SCRATCH } from "./io";
import type { TouchedProjections } from "./publish";
import type { MonthsInput } from "./write-events";

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
      const baseOf = new Map<string, string>();
      for (const entry of plan) if (entry.touched && entry.base && !baseOf.has(entry.month)) baseOf.set(entry.month, entry.base.path);
      return withEngine(
        deps,
        ENGINE_LANES,
        async (task, workspace) => {
          const changes = await workspace.local(layout.key(scratch + SCRATCH.changes));
          const removals = await workspace.local(layout.key(scratch + SCRATCH.removals));
          const baseFiles = await mapLimited([...baseOf.values()], IO_CONCURRENCY, (p) => workspace.local(layout.key(p)));
          const out = (m: number) => workspace.path(`month-${m}.parquet`);
          const files = await buildProjections(task, { definition, version, changes, removals, baseFiles, months: months.map((m) => parseMonthLabel(m)!), out });
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
