/** Inputs and results of delta planning (see docs/delta.md). */

/** How a source relates to the current version. */
export type DeltaMode = "upsert" | "snapshot" | "append";

/** What to do when the source repeats a key. */
export type DuplicatePolicy = "error" | "last_wins";

/** Per-source-row outcome codes in {@link DeltaPlanCore.ops}. */
export const Op = {
  /** The key exists with the same row hash and month: no event. */
  UNCHANGED: 0,
  /** The key is new: an `insert` event. */
  INSERT: 1,
  /** The key exists with another row hash or month: an `update` event. */
  UPDATE: 2,
  /** A later row has the same key (`last_wins`): this row is ignored. */
  DROPPED_DUPLICATE: 3,
} as const;

/** The normalized source, hashed: row `r` has its hashes at words `[4r, 4r + 4)`. */
export interface DeltaInput {
  /** Key hashes of the source rows, 4 words per row. */
  readonly keyHashes: Uint32Array;
  /** Row hashes (non-key columns) of the source rows, 4 words per row. */
  readonly rowHashes: Uint32Array;
  /** Partition month of each source row, yyyy*100+mm (positive). */
  readonly months: Int32Array;
  /** Number of source rows. */
  readonly rowCount: number;
  /** The dataset's mode. */
  readonly mode: DeltaMode;
  /** The dataset's duplicate-key policy. */
  readonly duplicates: DuplicatePolicy;
  /** Renders the key values of source row `row` for error messages (default: the key hash in hex). */
  readonly describeKey?: (row: number) => string;
  /** Renders source row `row` for error messages (default: `row + 1`, 1-based). */
  readonly describeRow?: (row: number) => string;
}

/** Event rows one month receives from a version. */
export interface MonthCounts {
  /** `insert` events in this month. */
  inserted: number;
  /** `update` events in this month. */
  updated: number;
  /** `delete` events in this month: snapshot deletes plus keys that moved out. */
  deleted: number;
}

/** Dataset-level totals of a version (keys, not event rows). */
export interface DeltaCounts {
  /** New keys. */
  inserted: number;
  /** Existing keys with a new row hash or month (moves included). */
  updated: number;
  /** Keys removed from the dataset (snapshot mode). */
  deleted: number;
  /** Source rows equal to the current version. */
  unchanged: number;
  /** Live keys after this version. */
  rowsTotal: number;
  /** Updated keys whose month changed (each also counted in `updated`). */
  moved: number;
  /** Source rows ignored as earlier duplicates (`last_wins`). */
  dropped: number;
}

/** The delta of a source against a base version. */
export interface DeltaPlanCore {
  /** One {@link Op} code per source row. */
  readonly ops: Uint8Array;
  /** Base keys absent from a snapshot source, in key order, with the month they leave. */
  readonly deletes: { readonly keyHashes: Uint32Array; readonly months: Int32Array };
  /**
   * Updated source rows whose month differs from the base, in row order, with
   * the month they left. The new month gets the `update` event; the old month
   * gets a `delete` event for the key, and both months must be consolidated.
   */
  readonly moves: { readonly rows: Int32Array; readonly fromMonths: Int32Array };
  /** Dataset-level totals. */
  readonly counts: DeltaCounts;
  /** Event rows per touched month, ascending by month; its keys are exactly the months to consolidate. */
  readonly byMonth: Map<number, MonthCounts>;
}
