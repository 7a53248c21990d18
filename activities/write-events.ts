import type { Table } from "apache-arrow";
import type { BaseVersion } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { DatasetLayout, monthLabel, parseMonthLabel } from "../src/layout";
import type { EventFile, VersionManifest } from "../src/manifest/schema";
import { readManifest } from "./base";
import type { ActivityDeps } from "./deps";
import { groupRows } from "../src/table/group";
import { takeRows } from "../src/table/take";
import { concatTables, constantUtf8, datasetColumns, hexesOfHashColumn, rowsByKey, selectWith } from "./frames";
import { heartbeater } from "./heartbeat";
import { readTable, SCRATCH, writeTableOnce } from "./io";

/** Input of `writeEvents` and `consolidate`. */
export interface MonthsInput {
  dataset: string;
  version: string;
  definition: DatasetDefinition;
  base: BaseVersion | null;
  /** Touched months, YYYY-MM. */
  months: string[];
}

function countOps(table: Table): { inserted: number; updated: number; deleted: number } {
  const counts = { inserted: 0, updated: 0, deleted: 0 };
  const ops = table.getChild("_op")!;
  for (let i = 0; i < ops.length; i++) {
    const op = ops.get(i) as string;
    if (op === "insert") counts.inserted++;
    else if (op === "update") counts.updated++;
    else counts.deleted++;
  }
  return counts;
}

/** Step 4: one event file per touched month: inserts and updates from the delta, deletes with their last known values. */
export function writeEventsActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async writeEvents({ dataset, version, definition, base, months }: MonthsInput): Promise<EventFile[]> {
      const layout = new DatasetLayout(dataset);
      const beat = heartbeater();
      const scratch = layout.runs(version);
      const changes = await readTable(store, layout.key(scratch + SCRATCH.changes));
      const removals = await readTable(store, layout.key(scratch + SCRATCH.removals));
      const removalHex = hexesOfHashColumn(removals.getChild("key_hash")!);
      const removalMonths = removals.getChild("month")!.toArray() as Int32Array;
      const parent: VersionManifest | null = base ? await readManifest(store, dataset, base.manifest) : null;
      const columns = datasetColumns(definition);
      const byMonth = groupRows(changes.getChild("_month")!.toArray() as Int32Array);
      const files: EventFile[] = [];
      for (const [i, label] of months.entries()) {
        const month = parseMonthLabel(label)!;
        const changed = takeRows(changes, byMonth.get(month) ?? new Int32Array(0));
        const parts: Table[] = [selectWith(changed, columns, { _op: changed.getChild("_op")!, _key_hash: changed.getChild("_key_hash")! })];
        const leaving = new Set(removalHex.filter((_, r) => removalMonths[r] === month));
        if (leaving.size > 0) {
          const file = parent?.projections[definition.projections[0].name]?.[label];
          if (!file) throw new Error(`The base projection of ${label} is missing although ${leaving.size} keys leave it; run "tidemark verify ${dataset} --repair".`);
          const { rows, hashes } = rowsByKey(await readTable(store, layout.key(file.path)), definition, leaving, true);
          parts.push(selectWith(rows, columns, { _op: constantUtf8("delete", rows.numRows), _key_hash: hashes }));
        }
        const events = concatTables(parts);
        const table = selectWith(events, [...columns, "_op", "_key_hash"], { _version: constantUtf8(version, events.numRows) });
        const path = layout.eventPart(version, month, 0);
        const bytes = await writeTableOnce(store, layout.key(path), table);
        files.push({ path, month: monthLabel(month), rows: table.numRows, bytes, ...countOps(table) });
        beat({ monthsDone: i + 1, months: months.length });
      }
      return files;
    },
  };
}
