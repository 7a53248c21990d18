import type { BaseVersion } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { buildEvents } from "../src/engine/months";
import { sqlString } from "../src/engine/sql";
import { DatasetLayout, monthLabel, parseMonthLabel } from "../src/layout";
import type { EventFile } from "../src/manifest/schema";
import { parentMonths } from "../src/manifest/projection-plan";
import { readManifest } from "./base";
import type { ActivityDeps } from "./deps";
import { ENGINE_LANES, withEngine } from "./engine";
import { resumable } from "./heartbeat";
import { IO_CONCURRENCY, mapLimited, SCRATCH } from "./io";

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

/** Step 4: one event file per touched month: inserts and updates from the delta, deletes with their last known values (DuckDB). */
export function writeEventsActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async writeEvents({ dataset, version, definition, base, months, scratch: run }: MonthsInput): Promise<EventFile[]> {
      const layout = new DatasetLayout(dataset);
      const scratch = layout.runs(run ?? version);
      const parent = base ? await readManifest(store, dataset, base.manifest) : null;
      const baseMonths = parentMonths(parent?.projections ?? null, definition.projections[0].name);
      const wanted = months.map((m) => parseMonthLabel(m)!);
      return withEngine(
        deps,
        ENGINE_LANES,
        async (task, workspace) => {
          const changes = await workspace.local(layout.key(scratch + SCRATCH.changes));
          const removals = await workspace.local(layout.key(scratch + SCRATCH.removals));
          const leaving = await task.rows<{ m: number }>(`SELECT DISTINCT month AS m FROM read_parquet(${sqlString(removals)})`);
          const missing = leaving.map((r) => monthLabel(Number(r.m))).filter((label) => !baseMonths[label]);
          if (missing.length > 0) throw new Error(`The base projection of ${missing[0]} is missing although keys leave it; run "tidemark verify ${dataset} --repair".`);
          const baseFiles = await mapLimited(leaving, IO_CONCURRENCY, (r) => workspace.local(layout.key(baseMonths[monthLabel(Number(r.m))].path)));
          const out = (m: number) => workspace.path(`events-${m}.parquet`);
          const files = await buildEvents(task, { definition, version, changes, removals, baseFiles, months: wanted, out });
          return { files, out };
        },
        async ({ files, out }, workspace) => {
          const { results } = await resumable(files, (f) => monthLabel(f.month), IO_CONCURRENCY, async (f): Promise<EventFile> => {
            const path = layout.eventPart(version, f.month, 0);
            const bytes = await workspace.uploadOnce(out(f.month), layout.key(path));
            return { path, month: monthLabel(f.month), rows: f.rows, bytes, inserted: f.inserted, updated: f.updated, deleted: f.deleted };
          });
          return results;
        },
      );
    },
  };
}
