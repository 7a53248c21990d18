/**
 * Normalize (SPEC §3 step 2): read a source in its format, unpivot it when the
 * definition says so, rename and cast every column, apply the bad-row policy and
 * return one single-chunk Arrow table whose columns are exactly
 * `schema.columns`, in order.
 */
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { Field, RecordBatch, Schema, Struct, Table, type Vector, makeData } from "apache-arrow";
import { partitionColumn } from "../definition/partition.js";
import type { DatasetDefinition } from "../definition/schema.js";
import { readSource, type ReadLimits } from "../formats/index.js";
import type { SourceInput } from "../formats/input.js";
import { inputPath } from "../formats/input.js";
import { type RawBatch, type RawColumn, TextColumn, ValueColumn } from "../formats/types.js";
import { tableFrom } from "../parquet/columns.js";
import { nullTokens } from "./cast.js";
import { monthOfDays } from "./datetime.js";
import { AmbiguousColumnError, type BadRow, BadRowsError, MAX_BAD_ROWS, MissingColumnError } from "./errors.js";
import type { Sink } from "./sinks.js";
import { TemporalSink, sinkFor } from "./typed-sinks.js";
import { type UnpivotPlan, planUnpivot, unpivotBatch } from "./unpivot.js";

/** Input of {@link normalizeSource}. */
export interface NormalizeInput {
  /** A validated definition (see `parseDefinition`). */
  readonly definition: DatasetDefinition;
  /** The source bytes: a path, a `file://` URL, a Readable or an async iterable of chunks. */
  readonly input: SourceInput;
  /** The source's name in messages, e.g. "series.csv". */
  readonly fileLabel: string;
  /** Called after each batch with the number of source rows read so far (for heartbeats). */
  readonly onProgress?: (rowsRead: number) => void;
  /** Aborts between batches. */
  readonly signal?: AbortSignal;
  /** Rows per raw batch (default 65,536). */
  readonly batchRows?: number;
  /** Longest CSV record in bytes (default `source.options.max_row_bytes`). */
  readonly maxRecordBytes?: number;
  /** The worker's size limits, checked while the source streams. */
  readonly limits?: ReadLimits;
  /** Size of the source in bytes when `input` is a stream (paths are measured); used only to pre-size columns. */
  readonly sizeHint?: number;
}

/** Output of {@link normalizeSource}. */
export interface NormalizeResult {
  /** One record batch; columns exactly `schema.columns` in order, typed per the definition. */
  readonly table: Table;
  /** Partition month (yyyy*100+mm) of each table row. */
  readonly months: Int32Array;
  /** Bad rows dropped under `on_bad_rows: quarantine` (first {@link MAX_BAD_ROWS} entries). */
  readonly badRows: BadRow[];
  /** Number of distinct bad rows dropped (may exceed `badRows.length`). */
  readonly badRowCount: number;
  /** Source data rows read (before unpivot; header, blank and comment lines excluded). */
  readonly rowsRead: number;
}

interface Mapping {
  readonly names: readonly string[];
  readonly index: readonly number[];
}

function resolve(def: DatasetDefinition, names: readonly string[], complete: boolean, label: string): Mapping {
  const index = def.schema.columns.map((c, j) => {
    const i = names.indexOf(c.from);
    if (i < 0 && complete) throw new MissingColumnError(label, c.from, names, `schema.columns[${j}]${c.from === c.name ? "" : ".from"}`);
    const again = names.indexOf(c.from, i + 1);
    if (i >= 0 && again >= 0) {
      const positions = names.flatMap((n, k) => (n === c.from ? [k + 1] : []));
      throw new AmbiguousColumnError(label, c.from, positions);
    }
    return i;
  });
  return { names, index };
}

function bytesPerRow(batch: RawBatch): number {
  const first = batch.column(0);
  const last = batch.column(batch.names.length - 1);
  if (!(first instanceof TextColumn) || !(last instanceof TextColumn)) return 0;
  const n = batch.length;
  const from = first.start(0);
  const to = last.end(n - 1);
  return from >= 0 && to > from ? (to - from) / n : 0;
}

function buildTable(def: DatasetDefinition, vectors: Vector[]): Table {
  const names = def.schema.columns.map((c) => c.name);
  if (!names.some((n) => /^(0|[1-9][0-9]*)$/.test(n))) return tableFrom(Object.fromEntries(names.map((n, j) => [n, vectors[j]])));
  const fields = names.map((n, j) => new Field(n, vectors[j].type, true));
  const length = vectors[0].length;
  const data = makeData({ type: new Struct(fields), length, nullCount: 0, children: vectors.map((v) => v.data[0]) });
  return new Table([new RecordBatch(new Schema(fields), data)]);
}

/**
 * Normalizes one source into an Arrow table. Throws `SourceFormatError` for
 * unreadable bytes, `MissingColumnError`/`AmbiguousColumnError` for header
 * mismatches and, under `on_bad_rows: fail`, {@link BadRowsError} listing the bad
 * rows; under `quarantine` the bad rows are dropped and returned. A stream input
 * is destroyed when normalizing fails, so an unread rest never holds its file open.
 */
export async function normalizeSource(req: NormalizeInput): Promise<NormalizeResult> {
  try {
    return await normalizeInput(req);
  } catch (err) {
    if (req.input instanceof Readable && !req.input.destroyed) req.input.destroy();
    throw err;
  }
}

async function normalizeInput(req: NormalizeInput): Promise<NormalizeResult> {
  const { definition: def, fileLabel: label } = req;
  const opts = def.source.options;
  const columns = def.schema.columns;
  const dec = opts.decimal_separator.charCodeAt(0);
  const nulls = nullTokens(opts.null_values);
  const keys = new Set(def.schema.key);
  const sinks: Sink[] = columns.map((c) => sinkFor(c, dec, c.name === partitionColumn(def.schema.partition_by)));
  const nullReasons = columns.map((c) =>
    keys.has(c.name) ? "not allowed in a key column" : c.name === partitionColumn(def.schema.partition_by) ? "not allowed in the partition column" : c.nullable ? null : "not allowed because the column is not nullable",
  );
  const u = def.unpivot;
  const wanted = u ? [...u.id_columns, ...(u.value_columns ?? [])] : columns.map((c) => c.from);
  const batches = readSource(req.input, def.source.format, opts, {
    fileLabel: label,
    columns: u && !u.value_columns ? undefined : wanted,
    batchRows: req.batchRows,
    maxRecordBytes: req.maxRecordBytes ?? opts.max_row_bytes,
    limits: req.limits,
  });

  const badRows: BadRow[] = [];
  let badRowCount = 0;
  /** Rows the reader could not read as records (not JSON, not an object): a column missing from every record may be in them. */
  let unreadable = 0;
  let rowsRead = 0;
  let plan: { names: readonly string[]; plan: UnpivotPlan } | undefined;
  let mapping: Mapping | undefined;
  const seen = new Set<string>();

  const size = req.sizeHint ?? (typeof req.input === "string" ? await stat(inputPath(req.input)).then((st) => st.size, () => undefined) : undefined);
  let sized = false;

  for await (const raw of batches) {
    req.signal?.throwIfAborted();
    rowsRead += raw.length;
    let batch: RawBatch = raw;
    if (u) {
      if (plan?.names !== raw.names) plan = { names: raw.names, plan: planUnpivot(u, raw.names, label) };
      batch = unpivotBatch(raw, u, plan.plan, nulls.strings);
    }
    if (mapping?.names !== batch.names) mapping = resolve(def, batch.names, batch.namesComplete, label);
    for (const n of batch.names) seen.add(n);
    const n = batch.length;
    const base = sinks[0].length;
    let bad: Uint8Array | undefined;
    const found: { index: number; col: number; value: string | null; reason: string }[] = [];
    const mark = (index: number, col: number, value: string | null, reason: string) => {
      (bad ??= new Uint8Array(n))[index] = 1;
      found.push({ index, col, value, reason });
    };
    for (const p of batch.problems) mark(p.index, -1, null, p.reason);
    unreadable += batch.problems.length;
    for (let j = 0; j < columns.length; j++) {
      const i = mapping.index[j];
      const col: RawColumn = i >= 0 ? batch.column(i) : new ValueColumn(new Array(n).fill(null));
      sinks[j].append(col, n, { nulls, trim: columns[j].trim, nullReason: nullReasons[j], onBad: (index, value, reason) => mark(index, j, value, reason) });
    }
    if (bad) {
      found.sort((a, b) => a.index - b.index || a.col - b.col);
      for (const f of found) {
        if (badRows.length >= MAX_BAD_ROWS) break;
        badRows.push({ row: batch.rows[f.index], column: f.col < 0 ? null : columns[f.col].name, value: f.value, reason: f.reason });
      }
      const keep = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        keep[i] = bad[i] ? 0 : 1;
        badRowCount += bad[i];
      }
      for (const s of sinks) s.compact(base, keep);
    }
    if (!sized && size !== undefined && raw.length > 0 && sinks[0].length > 0) {
      sized = true;
      const perRow = bytesPerRow(raw);
      if (perRow > 0) for (const s of sinks) s.expect(Math.ceil((size / perRow) * (sinks[0].length / raw.length) * 1.02));
    }
    req.onProgress?.(rowsRead);
  }

  if (unreadable > 0 && def.on_bad_rows === "fail") throw new BadRowsError(label, badRows, badRowCount);
  if (mapping !== undefined && rowsRead > 0) {
    const missing = columns.findIndex((c, j) => mapping!.index[j] < 0 && !seen.has(c.from));
    if (missing >= 0) throw new MissingColumnError(label, columns[missing].from, [...seen], `schema.columns[${missing}]`);
  }
  if (badRowCount > 0 && def.on_bad_rows === "fail") throw new BadRowsError(label, badRows, badRowCount);

  const partition = sinks[columns.findIndex((c) => c.name === partitionColumn(def.schema.partition_by))] as TemporalSink;
  const days = partition.dayValues();
  const months = new Int32Array(days.length);
  let lastDay = NaN;
  let lastMonth = 0;
  for (let i = 0; i < days.length; i++) {
    const d = days[i];
    if (d !== lastDay) {
      lastDay = d;
      lastMonth = monthOfDays(d);
    }
    months[i] = lastMonth;
  }
  const table = buildTable(def, sinks.map((s) => s.finish()));
  return { table, months, badRows, badRowCount, rowsRead };
}
