import type { Table } from "apache-arrow";
import type { DatasetDefinition } from "../src/definition";
import { DatasetLayout, parseMonthLabel } from "../src/layout";
import type { ProjectionMonth, VersionManifest } from "../src/manifest/schema";
import { sortPermutation } from "../src/table/sort";
import { takeRows } from "../src/table/take";
import { exactKeyColumns, lastRowPerKey } from "../src/table/upsert";
import { planProjectionMonths } from "../src/manifest/projection-plan";
import { writeOnce } from "../src/store/write-once";
import { readManifest } from "./base";
import type { ActivityDeps } from "./deps";
import { concatTables, datasetColumns, rowsByKey, selectWith } from "./frames";
import { resumable } from "./heartbeat";
import { IO_CONCURRENCY, readStagedChanges, readTable, type StagedChanges, writeTableOnce } from "./io";
import type { TouchedProjections } from "./publish";
import { leavingKeys, type MonthsInput } from "./write-events";

const EMPTY = new Int32Array(0);

/**
 * The new state of a month sorted by key: `base` without the keys leaving it, with `live` (the
 * run's inserts and updates of the month, staged rows `rows`) replacing the rows of their keys.
 * Keys of strings, integers, dates and timestamps are matched by value while merging (no hashing
 * of the base month); other keys by hash.
 */
function monthState(base: Table | null, live: Table, staged: StagedChanges, month: number, rows: Int32Array, definition: DatasetDefinition): Table {
  const { key } = definition.schema;
  const columns = datasetColumns(definition);
  if (!base) return takeRows(live, sortPermutation(live, key));
  const leaving = leavingKeys(staged, month);
  if (exactKeyColumns(base, key)) {
    const kept = leaving.size > 0 ? rowsByKey(base, definition, leaving, false).rows : base;
    const state = concatTables([selectWith(kept, columns), live]);
    return takeRows(state, lastRowPerKey(state, key));
  }
  for (let j = 0; j < rows.length; j++) leaving.add(staged.changeWords, rows[j]);
  const state = concatTables([selectWith(rowsByKey(base, definition, leaving, false).rows, columns), live]);
  return takeRows(state, sortPermutation(state, key));
}

/**
 * Step 5: the new state of every touched month (copy-on-write), for each projection: the base
 * month without the keys this run changed or removed, plus the run's inserts and updates of that
 * month (the same rows as its event file, taken from the staged changes), sorted by key. A
 * projection new in the definition also gets every untouched live month (a copy of another
 * projection's file).
 */
export function consolidateActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async consolidate({ dataset, version, definition, base, months, scratch: run }: MonthsInput): Promise<TouchedProjections> {
      const layout = new DatasetLayout(dataset);
      const parent: VersionManifest | null = base ? await readManifest(store, dataset, base.manifest) : null;
      const scratch = layout.runs(run ?? version);
      const staged = await readStagedChanges(store, (name) => layout.key(scratch + name));
      const columns = datasetColumns(definition);
      const plan = planProjectionMonths(definition.projections.map((p) => p.name), parent?.projections ?? null, months);
      const { results } = await resumable(plan, (e) => `${e.projection}/${e.month}`, IO_CONCURRENCY, async (entry): Promise<ProjectionMonth | null> => {
        const month = parseMonthLabel(entry.month)!;
        const path = layout.projection(entry.projection, month, version);
        if (!entry.touched) {
          const { body } = await store.get(layout.key(entry.base!.path));
          await writeOnce(store, layout.key(path), body);
          return { path, rows: entry.base!.rows, bytes: body.byteLength };
        }
        const rows = staged.changesByMonth.get(month) ?? EMPTY;
        const live = selectWith(takeRows(staged.changes, rows), columns);
        const base = entry.base ? await readTable(store, layout.key(entry.base.path)) : null;
        const sorted = monthState(base, live, staged, month, rows, definition);
        return sorted.numRows === 0 ? null : { path, rows: sorted.numRows, bytes: await writeTableOnce(store, layout.key(path), sorted) };
      });
      const touched: TouchedProjections = {};
      for (const p of definition.projections) touched[p.name] = {};
      plan.forEach((entry, i) => (touched[entry.projection][entry.month] = results[i]));
      return touched;
    },
  };
}
