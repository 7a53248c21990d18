import { type Table, Type } from "apache-arrow";
import type { BaseVersion } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { DatasetLayout, monthLabel, parseMonthLabel } from "../src/layout";
import type { EventFile, VersionManifest } from "../src/manifest/schema";
import { parentMonths } from "../src/manifest/projection-plan";
import { HashSet128 } from "../src/table/hash-set";
import { takeRows } from "../src/table/take";
import { readManifest } from "./base";
import type { ActivityDeps } from "./deps";
import { concatTables, constantUtf8, datasetColumns, rowsByKey, selectWith } from "./frames";
import { resumable } from "./heartbeat";
import { IO_CONCURRENCY, readStagedChanges, readTable, type StagedChanges, writeTableOnce } from "./io";

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

const EMPTY = new Int32Array(0);

/** Inserts among `rows` of the staged changes (their `_op` is "insert" or "update", both 6 bytes). */
function countInserts(changes: Table, rows: Int32Array): number {
  const op = changes.getChild("_op")!;
  if (op.type.typeId !== Type.Utf8) return rows.reduce((n, r) => n + (op.get(r) === "insert" ? 1 : 0), 0);
  const data = op.data;
  const starts: number[] = [];
  let at = 0;
  for (const d of data) {
    starts.push(at);
    at += d.length;
  }
  let inserts = 0;
  let c = 0;
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j];
    while (c + 1 < data.length && r >= starts[c + 1]) c++;
    while (c > 0 && r < starts[c]) c--;
    const d = data[c];
    if (d.values[d.valueOffsets[r - starts[c]]] === 0x69) inserts++;
  }
  return inserts;
}

/** Hashes of the keys leaving `month` (snapshot deletes and moves away). */
export function leavingKeys(staged: StagedChanges, month: number): HashSet128 {
  const rows = staged.removalsByMonth.get(month) ?? EMPTY;
  const set = new HashSet128(rows.length);
  for (let j = 0; j < rows.length; j++) set.add(staged.removalWords, rows[j]);
  return set;
}

/** Step 4: one event file per touched month: inserts and updates from the delta, deletes with their last known values. */
export function writeEventsActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async writeEvents({ dataset, version, definition, base, months, scratch: run }: MonthsInput): Promise<EventFile[]> {
      const layout = new DatasetLayout(dataset);
      const scratch = layout.runs(run ?? version);
      const staged = await readStagedChanges(store, (name) => layout.key(scratch + name));
      const { changes } = staged;
      const parent: VersionManifest | null = base ? await readManifest(store, dataset, base.manifest) : null;
      const columns = datasetColumns(definition);
      const { results } = await resumable(months, (label) => label, IO_CONCURRENCY, async (label): Promise<EventFile> => {
        const month = parseMonthLabel(label)!;
        const rows = staged.changesByMonth.get(month) ?? EMPTY;
        const changed = takeRows(changes, rows);
        const parts: Table[] = [selectWith(changed, columns, { _op: changed.getChild("_op")!, _key_hash: changed.getChild("_key_hash")! })];
        const leaving = leavingKeys(staged, month);
        let deleted = 0;
        if (leaving.size > 0) {
          const file = parentMonths(parent?.projections ?? null, definition.projections[0].name)[label];
          if (!file) throw new Error(`The base projection of ${label} is missing although ${leaving.size} keys leave it; run "tidemark verify ${dataset} --repair".`);
          const { rows: gone, hashes } = rowsByKey(await readTable(store, layout.key(file.path)), definition, leaving, true);
          parts.push(selectWith(gone, columns, { _op: constantUtf8("delete", gone.numRows), _key_hash: hashes }));
          deleted = gone.numRows;
        }
        const events = concatTables(parts);
        const table = selectWith(events, [...columns, "_op", "_key_hash"], { _version: constantUtf8(version, events.numRows) });
        const path = layout.eventPart(version, month, 0);
        const bytes = await writeTableOnce(store, layout.key(path), table);
        const inserted = countInserts(changes, rows);
        return { path, month: monthLabel(month), rows: table.numRows, bytes, inserted, updated: rows.length - inserted, deleted };
      });
      return results;
    },
  };
}
