import type { Table } from "apache-arrow";
import { DatasetLayout, parseMonthLabel } from "../src/layout";
import type { VersionManifest } from "../src/manifest/schema";
import { sortPermutation } from "../src/table/sort";
import { takeRows } from "../src/table/take";
import { readManifest } from "./base";
import type { ActivityDeps } from "./deps";
import { concatTables, datasetColumns, hexesOfHashColumn, rowsByKey, selectWith } from "./frames";
import { heartbeater } from "./heartbeat";
import { readTable, writeTableOnce } from "./io";
import type { TouchedProjections } from "./publish";
import type { MonthsInput } from "./write-events";

/** Step 5: the new state of every touched month (copy-on-write), for each projection. */
export function consolidateActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async consolidate({ dataset, version, definition, base, months }: MonthsInput): Promise<TouchedProjections> {
      const layout = new DatasetLayout(dataset);
      const beat = heartbeater();
      const parent: VersionManifest | null = base ? await readManifest(store, dataset, base.manifest) : null;
      const columns = datasetColumns(definition);
      const touched: TouchedProjections = {};
      for (const p of definition.projections) touched[p.name] = {};
      for (const [i, label] of months.entries()) {
        const month = parseMonthLabel(label)!;
        const events = await readTable(store, layout.key(layout.eventPart(version, month, 0)));
        const ops = events.getChild("_op")!;
        const live = takeRows(events, Int32Array.from({ length: events.numRows }, (_, r) => r).filter((r) => ops.get(r) !== "delete"));
        for (const p of definition.projections) {
          const previous = parent?.projections[p.name]?.[label];
          let state: Table = selectWith(live, columns);
          if (previous) {
            const changedKeys = new Set(hexesOfHashColumn(events.getChild("_key_hash")!));
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
        beat({ monthsDone: i + 1, months: months.length });
      }
      return touched;
    },
  };
}
