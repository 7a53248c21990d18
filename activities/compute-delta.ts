import { Int32, makeData, makeVector, type RecordBatch, Table, Type } from "apache-arrow";
import type { BaseVersion, ChangeCounts } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { indexChunkToRecordBatch, indexChunks, INDEX_SCHEMA, Op, planDeltaStreaming, SourceEmptyError, type StreamingDeltaPlan } from "../src/delta";
import { hashColumnsSliced, keyHashBytes } from "../src/hash";
import { DatasetLayout, monthLabel } from "../src/layout";
import { decodeParquetBatches, fixedBinaryColumn } from "../src/parquet";
import { groupRows } from "../src/table/group";
import { monthsOf } from "../src/table/months";
import { takeRows, whereRows } from "../src/table/take";
import { readManifest } from "./base";
import { opColumn } from "./frames";
import type { ActivityDeps } from "./deps";
import { heartbeater, pauser } from "./heartbeat";
import { readScratchTable, SCRATCH, writeScratchTable, writeTableOnce } from "./io";

/** Result of `computeDelta`: counts, touched months and the staged index. */
export interface DeltaSummary {
  counts: ChangeCounts;
  /** Months to write events for and consolidate, as YYYY-MM, ascending. */
  months: string[];
  index: { path: string; rows: number; bytes: number }[];
}

function int32Column(values: Int32Array) {
  return makeVector(makeData({ type: new Int32(), length: values.length, data: values }));
}

/** Renders the key values of a row for messages: dates as YYYY-MM-DD, timestamps as ISO-8601. */
export function describeKeyOf(table: Table, key: string[]): (row: number) => string {
  return (row) =>
    key
      .map((k) => {
        const vector = table.getChild(k);
        const value = vector?.get(row);
        const typeId = vector?.type.typeId;
        if (value !== null && typeId === Type.Date) return `${k}=${new Date(Number(value)).toISOString().slice(0, 10)}`;
        if (value !== null && typeId === Type.Timestamp) return `${k}=${new Date(Number(value)).toISOString()}`;
        return `${k}=${String(value)}`;
      })
      .join(", ");
}

function gatherWords(words: Uint32Array, rows: ArrayLike<number>, out: Uint32Array, at: number): void {
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j] * 4;
    const o = (at + j) * 4;
    out[o] = words[r];
    out[o + 1] = words[r + 1];
    out[o + 2] = words[r + 2];
    out[o + 3] = words[r + 3];
  }
}

/** The rows that become insert/update events, grouped by month (source order within a month), with `_op`, `_key_hash` and `_month`. */
function changesTable(table: Table, plan: StreamingDeltaPlan, keyHashes: Uint32Array, months: Int32Array): Table {
  const changed = whereRows(table.numRows, (i) => plan.ops[i] === Op.INSERT || plan.ops[i] === Op.UPDATE);
  const rows = new Int32Array(changed.length);
  let at = 0;
  for (const group of groupRows(Int32Array.from(changed, (r) => months[r])).values()) {
    for (let j = 0; j < group.length; j++) rows[at + j] = changed[group[j]];
    at += group.length;
  }
  const taken = takeRows(table, rows);
  const words = new Uint32Array(rows.length * 4);
  gatherWords(keyHashes, rows, words, 0);
  const rowMonths = new Int32Array(rows.length);
  for (let j = 0; j < rows.length; j++) rowMonths[j] = months[rows[j]];
  const columns: Record<string, ReturnType<typeof int32Column>> = {};
  for (const f of taken.schema.fields) columns[f.name] = taken.getChild(f.name)!;
  return new Table({ ...columns, _op: opColumn(plan.ops, rows), _key_hash: fixedBinaryColumn(keyHashBytes(words), 16), _month: int32Column(rowMonths) });
}

/** Keys leaving a month: snapshot deletes and the old month of keys that moved. */
function removalsTable(plan: StreamingDeltaPlan, keyHashes: Uint32Array): Table {
  const deletes = plan.deletes.months.length;
  const n = deletes + plan.moves.rows.length;
  const words = new Uint32Array(n * 4);
  const months = new Int32Array(n);
  words.set(plan.deletes.keyHashes.subarray(0, deletes * 4), 0);
  months.set(plan.deletes.months, 0);
  gatherWords(keyHashes, plan.moves.rows, words, deletes);
  months.set(plan.moves.fromMonths.subarray(0, plan.moves.rows.length), deletes);
  return new Table({ key_hash: fixedBinaryColumn(keyHashBytes(words), 16), month: int32Column(months) });
}

/** Step 3: the normalized source against the base index → staged index, changes and removals. */
export function computeDeltaActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async computeDelta({ dataset, version, definition, base, scratch: run }: { dataset: string; version: string; definition: DatasetDefinition; base: BaseVersion | null; scratch?: string }): Promise<DeltaSummary> {
      const layout = new DatasetLayout(dataset);
      const beat = heartbeater();
      const table = await readScratchTable(store, layout.key(layout.runs(run ?? version) + SCRATCH.normalized));
      if (definition.mode === "snapshot" && table.numRows === 0 && base && base.rowsTotal > 0 && !definition.allow_empty_snapshot) throw new SourceEmptyError(dataset, base.rowsTotal);
      const { key, partition_by: partitionBy } = definition.schema;
      const valueColumns = definition.schema.columns.map((c) => c.name).filter((n) => !key.includes(n));
      let hashed = 0;
      const pause = pauser(() => ({ phase: "hashing", rows: table.numRows, slicesDone: ++hashed }));
      const keyHashes = await hashColumnsSliced(table, key, pause);
      const rowHashes = await hashColumnsSliced(table, valueColumns, pause);
      const months = monthsOf(table, partitionBy);
      beat({ phase: "hashed" });
      let baseChunks = null;
      if (base) {
        const manifest = await readManifest(store, dataset, base.manifest);
        baseChunks = (async function* () {
          for (const file of manifest.index) {
            const { body } = await store.get(layout.key(file.path));
            yield* indexChunks(decodeParquetBatches(body));
          }
        })();
      }
      const indexBatches: RecordBatch[] = [];
      const plan = await planDeltaStreaming({
        keyHashes, rowHashes, months, rowCount: table.numRows, mode: definition.mode, duplicates: definition.duplicates,
        describeKey: describeKeyOf(table, key), base: baseChunks,
        onIndexChunk: (chunk) => {
          indexBatches.push(indexChunkToRecordBatch(chunk));
        },
        onProgress: (entries) => beat({ phase: "planning", baseEntries: entries }),
      });
      const indexPath = layout.index(version);
      const indexTable = indexBatches.length > 0 ? new Table(indexBatches) : new Table(INDEX_SCHEMA);
      const indexBytes = await writeTableOnce(store, layout.key(indexPath), indexTable);
      const scratch = layout.runs(run ?? version);
      await writeScratchTable(store, layout.key(scratch + SCRATCH.changes), changesTable(table, plan, keyHashes, months));
      await writeScratchTable(store, layout.key(scratch + SCRATCH.removals), removalsTable(plan, keyHashes));
      const c = plan.counts;
      return {
        counts: { inserted: c.inserted, updated: c.updated, deleted: c.deleted, unchanged: c.unchanged, rowsTotal: c.rowsTotal },
        months: [...plan.byMonth.keys()].sort((a, b) => a - b).map(monthLabel),
        index: [{ path: indexPath, rows: plan.nextIndexSize, bytes: indexBytes }],
      };
    },
  };
}
