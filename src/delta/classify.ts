/**
 * The classification shared by the in-memory and the streaming planner: it
 * receives each (source row, base entry) match and each unmatched base entry,
 * and turns them into ops, deletes, moves and counts.
 */
import { AppendKeyExistsError } from "./errors";
import { GrowableI32, GrowableU32 } from "./growable";
import { copyHash, sortIdsByKey } from "./key-order";
import { keyLabel, rowLabel } from "./sorted-source";
import { type DeltaCounts, type DeltaInput, type DeltaPlanCore, type MonthCounts, Op } from "./types";

/** Accumulates the outcome of one delta. */
export class Classifier {
  /** Per-row ops (shared with the source table). */
  readonly ops: Uint8Array;
  private readonly moveRows = new GrowableI32();
  private readonly moveFrom = new GrowableI32();
  private readonly delKeys = new GrowableU32();
  private readonly delMonths = new GrowableI32();
  private conflicts = 0;
  private firstConflict = -1;

  constructor(private readonly input: DeltaInput, ops: Uint8Array) {
    this.ops = ops;
  }

  /** Source row `row` (in `month`) has a base entry in `baseMonth`; `sameRowHash` compares the row hashes. */
  matched(row: number, month: number, sameRowHash: boolean, baseMonth: number): void {
    if (this.input.mode === "append") {
      if (this.firstConflict < 0 || row < this.firstConflict) this.firstConflict = row;
      this.conflicts++;
      return;
    }
    if (sameRowHash && month === baseMonth) {
      this.ops[row] = Op.UNCHANGED;
      return;
    }
    this.ops[row] = Op.UPDATE;
    if (month !== baseMonth) {
      this.moveRows.push(row);
      this.moveFrom.push(baseMonth);
    }
  }

  /** A base entry absent from the source (call only in snapshot mode). */
  deleted(keys: Uint32Array, at: number, month: number): void {
    this.delKeys.push4(keys, at);
    this.delMonths.push(month);
  }

  /** Finishes the plan for a base of `baseSize` keys; throws {@link AppendKeyExistsError} on append conflicts. */
  finish(baseSize: number): DeltaPlanCore {
    if (this.conflicts > 0) throw this.appendError();
    const { months, rowCount } = this.input;
    const ops = this.ops;
    const counts: DeltaCounts = { inserted: 0, updated: 0, deleted: 0, unchanged: 0, rowsTotal: 0, moved: 0, dropped: 0 };
    const byMonth = new Map<number, MonthCounts>();
    let lastMonth = 0;
    let entry: MonthCounts = { inserted: 0, updated: 0, deleted: 0 };
    const monthEntry = (m: number): MonthCounts => {
      if (m !== lastMonth) {
        lastMonth = m;
        entry = byMonth.get(m) ?? { inserted: 0, updated: 0, deleted: 0 };
        byMonth.set(m, entry);
      }
      return entry;
    };
    for (let r = 0; r < rowCount; r++) {
      const op = ops[r];
      if (op === Op.INSERT) {
        counts.inserted++;
        monthEntry(months[r]).inserted++;
      } else if (op === Op.UPDATE) {
        counts.updated++;
        monthEntry(months[r]).updated++;
      } else if (op === Op.UNCHANGED) {
        counts.unchanged++;
      } else {
        counts.dropped++;
      }
    }
    const moves = this.sortedMoves();
    for (let i = 0; i < moves.fromMonths.length; i++) monthEntry(moves.fromMonths[i]).deleted++;
    counts.moved = moves.rows.length;
    const deletes = this.sortedDeletes();
    for (let i = 0; i < deletes.months.length; i++) monthEntry(deletes.months[i]).deleted++;
    counts.deleted = deletes.months.length;
    counts.rowsTotal = baseSize + counts.inserted - counts.deleted;
    const sortedByMonth = new Map([...byMonth.entries()].sort((a, b) => a[0] - b[0]));
    return { ops, deletes, moves, counts, byMonth: sortedByMonth };
  }

  private sortedMoves(): { rows: Int32Array; fromMonths: Int32Array } {
    const rows = this.moveRows.toArray();
    const fromMonths = this.moveFrom.toArray();
    let ascending = true;
    for (let i = 1; i < rows.length && ascending; i++) ascending = rows[i - 1] < rows[i];
    if (ascending) return { rows, fromMonths };
    const fromByRow = new Int32Array(this.input.rowCount);
    for (let i = 0; i < rows.length; i++) fromByRow[rows[i]] = fromMonths[i];
    rows.sort();
    for (let i = 0; i < rows.length; i++) fromMonths[i] = fromByRow[rows[i]];
    return { rows, fromMonths };
  }

  private sortedDeletes(): { keyHashes: Uint32Array; months: Int32Array } {
    const keys = this.delKeys.toArray();
    const months = this.delMonths.toArray();
    const ids = new Uint32Array(months.length);
    for (let i = 0; i < ids.length; i++) ids[i] = i;
    sortIdsByKey(keys, ids);
    const keyHashes = new Uint32Array(keys.length);
    const sortedMonths = new Int32Array(months.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      copyHash(keys, id * 4, keyHashes, i * 4);
      sortedMonths[i] = months[id];
    }
    return { keyHashes, months: sortedMonths };
  }

  private appendError(): AppendKeyExistsError {
    const row = this.firstConflict;
    const key = keyLabel(this.input, row);
    const more = this.conflicts - 1;
    const message =
      `Append mode only adds new keys, but key ${key} at row ${rowLabel(this.input, row)} already exists` +
      `${more > 0 ? ` (and ${more} more existing key${more === 1 ? "" : "s"})` : ""}; ` +
      `remove rows already ingested from the source, or use mode upsert to update existing keys.`;
    return new AppendKeyExistsError(key, row, this.conflicts, message);
  }
}
