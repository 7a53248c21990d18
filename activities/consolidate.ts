import type { Table } from "apache-arrow";
import { DatasetLayout, parseMonthLabel } from "../src/layout";
import type { VersionManifest } from "../src/manifest/schema";
import { sortPermutation } from "../src/table/sort";
import { takeRows } from "../src/table/take";
import { readManifest } from "./base";
import type { ActivityDeps } from "./deps";
import { concatTables, datasetColumns, rowsByKey, selectWith } from "./frames";
import { heartbeater } from "./heartbeat";
import { IO_CONCURRENCY, mapLimited, readStagedChanges, readTable, writeTableOnce } from "./io";
import type { TouchedProjections } from "./publish";
import { leavingKeys, type MonthsInput } from "./write-events";

const EMPTY = new Int32Array(0);

/**
 * Step 5: the new state of every touched month (copy-on-write), for each projection: the base
 * month without the keys this run changed or removed, plus the run's inserts and updates of that
 * month (the same rows as its event file, taken from the staged changes), sorted by key.
 */
export function consolidateActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async consolidate({ dataset, version, definition, base, months }: MonthsInput): Promise<TouchedProjections> {
      const layout = new DatasetLayout(dataset);
      const beat = heartbeater();
      const parent: VersionManifest | null = base ? await readManifest(store, dataset, base.manifest) : null;
      const scratch = layout.runs(version);
      const staged = await readStagedChanges(store, (name) => layout.key(scratch + name));
      const columns = datasetColumns(definition);
      const touched: TouchedProjections = {};
      for (const p of definition.projections) touched[p.name] = {};
      for (const p of definition.projections) for (const label of months) touched[p.name][label] = null;
      let done = 0;
      await mapLimited(months, IO_CONCURRENCY, async (label) => {
        const month = parseMonthLabel(label)!;
        const rows = staged.changesByMonth.get(month) ?? EMPTY;
        const live = selectWith(takeRows(staged.changes, rows), columns);
        for (const p of definition.projections) {
          const previous = parent?.projections[p.name]?.[label];
          let state: Table = live;
          if (previous) {
            const changedKeys = leavingKeys(staged, month);
            for (let j = 0; j < rows.length; j++) changedKeys.add(staged.changeWords, rows[j]);
            const kept = rowsByKey(await readTable(store, layout.key(previous.path)), definition, changedKeys, false).rows;
            state = concatTables([selectWith(kept, columns), state]);
          }
          if (state.numRows === 0) {
            touched[p.name][label] = null;
            continue;
          }
          const sorted = takeRows(state, sortPermutation(state, definition.schema.key));
          const path = layout.projection(p.name, month, version);
          const bytes = await writeTableOnce(store, layout.key(path), sorted);
          touched[p.name][label] = { path, rows: sorted.numRows, bytes };
        }
        beat({ monthsDone: ++done, months: months.length });
      });
      return touched;
    },
  };
}
