/**
 * The source side of delta planning: the live source rows sorted by key hash,
 * in columnar arrays, with the duplicate-key policy applied. Both planners
 * walk it in key order, so their accesses to the base stay nearly sequential.
 */
import { hashToHex } from "../hash/hex";
import { DuplicateKeyError } from "./errors";
import { bswap32, compareKeys, copyHash, sortIdsByKey } from "./key-order";
import { type DeltaInput, Op } from "./types";

/** Validates the shape of a {@link DeltaInput}; throws RangeError naming the first problem. */
export function checkInput(input: DeltaInput): void {
  const { keyHashes, rowHashes, months, rowCount } = input;
  if (!Number.isInteger(rowCount) || rowCount < 0) throw new RangeError(`rowCount must be a non-negative integer, got ${rowCount}.`);
  if (keyHashes.length < rowCount * 4) throw new RangeError(`keyHashes holds ${keyHashes.length >>> 2} hashes for ${rowCount} rows.`);
  if (rowHashes.length < rowCount * 4) throw new RangeError(`rowHashes holds ${rowHashes.length >>> 2} hashes for ${rowCount} rows.`);
  if (months.length < rowCount) throw new RangeError(`months holds ${months.length} values for ${rowCount} rows.`);
  for (let r = 0; r < rowCount; r++) {
    if (months[r] < 1) throw new RangeError(`Source row ${r} has month ${months[r]}; months are positive yyyy*100+mm values.`);
  }
}

/** Renders a source row's key with the caller's describer, or as its key hash. */
export function keyLabel(input: DeltaInput, row: number): string {
  return input.describeKey ? input.describeKey(row) : `key_hash=${hashToHex(input.keyHashes, row)}`;
}

/** Renders a source row number with the caller's describer, or 1-based. */
export function rowLabel(input: DeltaInput, row: number): string {
  return input.describeRow ? input.describeRow(row) : String(row + 1);
}


/** The live source rows in key order. Entry `k` is source row `rows[k]`. */
export class SortedSource {
  /** Per source row: INSERT for live rows (until classified), DROPPED_DUPLICATE for dropped ones. */
  readonly ops: Uint8Array;
  /** Number of live entries. */
  readonly length: number;
  /** Source row of each entry. */
  readonly rows: Uint32Array;
  /** Key hashes, 4 words per entry, ascending. */
  readonly keys: Uint32Array;
  /** Row hashes, 4 words per entry. */
  readonly rowHashes: Uint32Array;
  /** Months per entry. */
  readonly months: Int32Array;
  /** First key word of each entry, byte-swapped: its first four key bytes as a number, for fast comparisons. */
  readonly first: Uint32Array;

  /** Sorts and deduplicates; throws {@link DuplicateKeyError} under `duplicates: "error"`. */
  constructor(private readonly input: DeltaInput) {
    checkInput(input);
    const n = input.rowCount;
    const { keyHashes, rowHashes, months } = input;
    const ids = new Uint32Array(n);
    for (let i = 0; i < n; i++) ids[i] = i;
    sortIdsByKey(keyHashes, ids);
    const keys = new Uint32Array(n * 4);
    for (let k = 0; k < n; k++) copyHash(keyHashes, ids[k] * 4, keys, k * 4);
    this.ops = new Uint8Array(n).fill(Op.INSERT);
    const live = this.applyDuplicates(ids, keys);
    this.length = live;
    this.rows = new Uint32Array(live);
    this.keys = live === n ? keys : new Uint32Array(live * 4);
    this.rowHashes = new Uint32Array(live * 4);
    this.months = new Int32Array(live);
    this.first = new Uint32Array(live);
    for (let k = 0, j = 0; k < n; k++) {
      const r = ids[k];
      if (this.ops[r] === Op.DROPPED_DUPLICATE) continue;
      this.rows[j] = r;
      if (this.keys !== keys) copyHash(keys, k * 4, this.keys, j * 4);
      copyHash(rowHashes, r * 4, this.rowHashes, j * 4);
      this.months[j] = months[r];
      this.first[j] = bswap32(keys[k * 4]);
      j++;
    }
  }

  /** Marks all but the last row of each repeated key dropped, or throws; returns the live count. */
  private applyDuplicates(ids: Uint32Array, keys: Uint32Array): number {
    const n = ids.length;
    let dropped = 0;
    let repeatedKeys = 0;
    let worst = -1;
    let worstLength = 0;
    for (let start = 0; start < n; ) {
      let end = start + 1;
      while (end < n && compareKeys(keys, start * 4, keys, end * 4) === 0) end++;
      if (end - start > 1) {
        repeatedKeys++;
        if (this.input.duplicates === "last_wins") {
          for (let k = start; k < end - 1; k++) this.ops[ids[k]] = Op.DROPPED_DUPLICATE;
          dropped += end - start - 1;
        } else if (worst < 0 || ids[start + 1] < ids[worst + 1]) {
          worst = start;
          worstLength = end - start;
        }
      }
      start = end;
    }
    if (worst >= 0) throw this.duplicateError([ids[worst], ids[worst + 1]], worstLength, repeatedKeys - 1);
    return n - dropped;
  }

  private duplicateError(pair: [number, number], occurrences: number, otherKeys: number): DuplicateKeyError {
    const key = keyLabel(this.input, pair[0]);
    const notes: string[] = [];
    if (occurrences > 2) notes.push(`${occurrences} rows in all`);
    if (otherKeys > 0) notes.push(`and ${otherKeys} more duplicate key${otherKeys === 1 ? "" : "s"}`);
    const detail = notes.length > 0 ? ` (${notes.join("; ")})` : "";
    const message =
      `Duplicate key ${key} in data rows ${rowLabel(this.input, pair[0])} and ${rowLabel(this.input, pair[1])} of the source${detail}; ` +
      `make the keys unique in the source or set duplicates: last_wins.`;
    return new DuplicateKeyError(key, pair, occurrences, otherKeys, message);
  }
}
