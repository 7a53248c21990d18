import { rm } from "node:fs/promises";
import type { DatasetDefinition } from "../definition";
import { AppendKeyExistsError, DuplicateKeyError, SourceEmptyError } from "./errors";
import { planIndexWrite, type IndexWrite } from "../manifest/index-plan";
import {
  appendConflictSql, baseSql, changesSql, classifySql, copySql, countsSql, deltaLayerSql, duplicatesSql, isLayered, layeredRowsSql, liveSql, loadSourceSql, mayRepeatKeySql, nextIndexRowsSql,
  removalsSql, repeatedKeySql, sortedIndexSql, stageSql, type BaseSource, type DeltaTables,
} from "./delta-sql";
import { EVENTS_PARQUET, INDEX_PARQUET, SCRATCH_PARQUET, readParquet, sqlIdent } from "./sql";
import type { EngineTask } from "./task";

/**
 * Up to this many keys a complete index is sorted straight from the delta's tables; above it its rows
 * are staged to a file first and sorted once those tables are dropped (at 10M keys the sort needs most
 * of a 1 GB memory limit and does not spill far enough while they hold memory). Staging cost a 1M-key
 * initial load about 70 ms and a push compaction rewriting a 3M-key index 0.4–1.4 s.
 */
export const SORT_IN_PLACE_ROWS = 4_000_000;

/** Input of {@link runDelta}: local paths only. */
export interface DeltaRun {
  dataset: string;
  /** The version the changes are written for (their `_version`). */
  version: string;
  definition: DatasetDefinition;
  /** The normalized source (Parquet). */
  normalized: string;
  base: BaseSource;
  /** Live rows of the base version (for the empty-snapshot guard). */
  baseRows: number;
  /**
   * Bad rows `on_bad_rows: quarantine` left out of `normalized`. With any, a snapshot keeps the base
   * keys the source lacks instead of deleting them, because a bad row's key cannot be told from a key
   * the source dropped (SPEC §2: a key missing from a snapshot is a delete; a bad row is not a
   * missing key); and row numbers in messages count the rows that were kept.
   */
  quarantinedRows?: number;
  /** Keys up to which a complete index is sorted without staging (default {@link SORT_IN_PLACE_ROWS}). */
  sortInPlaceRows?: number;
  /** Output files: the index file this version writes (see {@link DeltaOutcome.index}), the changed rows (as event-file rows), the keys leaving a month. */
  out: { index: string; changes: string; removals: string };
}

/** Outcome of {@link runDelta}. */
export interface DeltaOutcome {
  inserted: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Live keys after this version. */
  rowsTotal: number;
  /** What was written to `out.index` (nothing for `carry`) and its rows. */
  index: { write: IndexWrite; rows: number };
  /** Months (yyyymm) with changes or removals, ascending. */
  months: number[];
}

function render(definition: DatasetDefinition, row: Record<string, unknown>): string {
  return definition.schema.key
    .map((k) => {
      const v = row[k];
      if (v instanceof Date) return `${k}=${v.toISOString().slice(0, 10)}`;
      return `${k}=${String(v)}`;
    })
    .join(", ");
}

/**
 * The key columns of a source row as the error messages name them: a timestamp as UTC ISO text with
 * its microseconds, formatted by DuckDB (read as a JS Date it would keep milliseconds only, truncated
 * toward 1970, and could name another instant, even another day).
 */
function keySelect(definition: DatasetDefinition): string {
  return definition.schema.key
    .map((k) => {
      const x = sqlIdent(k);
      return definition.schema.columns.find((c) => c.name === k)?.type === "timestamp" ? `strftime(${x}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${x}` : x;
    })
    .join(", ");
}

/**
 * The delta of a normalized source against a base index (SPEC §2): writes the next index, the
 * changed rows and the removals as Parquet, and returns the counts and touched months. Throws the
 * typed errors of `src/engine/errors.ts` for duplicate keys, append conflicts and empty snapshots.
 */
export async function runDelta(task: EngineTask, run: DeltaRun): Promise<DeltaOutcome> {
  const { definition } = run;
  const t: DeltaTables = { src: task.table("src"), live: task.table("live"), base: task.table("base"), classified: task.table("classified") };
  await task.exec(loadSourceSql(definition, run.normalized, t));
  const [{ n: sourceRows }] = await task.rows<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${t.src}`);
  const quarantined = run.quarantinedRows ?? 0;
  const mode = definition.mode === "snapshot" && quarantined > 0 ? "upsert" : definition.mode;
  const snapshot = mode === "snapshot";
  if (snapshot && sourceRows === 0 && run.baseRows > 0 && !definition.allow_empty_snapshot) throw new SourceEmptyError(run.dataset, run.baseRows);
  const keyOf = async (row: number) => {
    const [found] = await task.rows(`SELECT ${keySelect(definition)} FROM ${t.src} WHERE _row = ${row}`);
    return render(definition, found);
  };
  const lastWins = definition.duplicates === "last_wins";
  const mayRepeat = (await task.rows(mayRepeatKeySql(t))).length > 0;
  if (!lastWins && mayRepeat) {
    const [dup] = await task.rows<{ n: number; pair: number[]; keys: number }>(duplicatesSql(t));
    if (dup) {
      const pair: [number, number] = [Number(dup.pair[0]), Number(dup.pair[1])];
      const key = await keyOf(pair[0]);
      const notes: string[] = [];
      if (Number(dup.n) > 2) notes.push(`${dup.n} rows in all`);
      const others = Number(dup.keys) - 1;
      if (others > 0) notes.push(`and ${others} more duplicate key${others === 1 ? "" : "s"}`);
      const detail = notes.length > 0 ? ` (${notes.join("; ")})` : "";
      const rows = quarantined > 0 ? `data rows ${pair[0] + 1} and ${pair[1] + 1} of the source once its ${quarantined} quarantined row${quarantined === 1 ? " is" : "s are"} left out` : `data rows ${pair[0] + 1} and ${pair[1] + 1} of the source`;
      const message = `Duplicate key ${key} in ${rows}${detail}; make the keys unique in the source or set duplicates: last_wins.`;
      throw new DuplicateKeyError(key, pair, Number(dup.n), others, message);
    }
  }
  const dedupe = lastWins && mayRepeat && (await task.rows(repeatedKeySql(t))).length > 0;
  await task.exec(liveSql(t, dedupe));
  await task.exec(baseSql(definition, run.base, t));
  const hasBase = run.base.kind !== "none" && run.base.files.length > 0;
  const layered = isLayered(run.base) ? run.base : null;
  const layers = layered?.deltas ?? [];
  await task.exec(classifySql(t, hasBase, layered ? layeredRowsSql(layered.files, layers) : undefined));
  if (definition.mode === "append") {
    const [conflict] = await task.rows<{ _row: number; n: number }>(appendConflictSql(t));
    if (conflict) {
      const row = Number(conflict._row);
      const key = await keyOf(row);
      const more = Number(conflict.n) - 1;
      const message =
        `Append mode only adds new keys, but key ${key} at row ${row + 1} already exists` +
        `${more > 0 ? ` (and ${more} more existing key${more === 1 ? "" : "s"})` : ""}; ` +
        `remove rows already ingested from the source, or use mode upsert to update existing keys.`;
      throw new AppendKeyExistsError(key, row, Number(conflict.n), message);
    }
  }
  const removals = task.table("removals");
  await task.exec(`CREATE TABLE ${removals} AS ${removalsSql(t, snapshot)}`);
  await task.exec(copySql(changesSql(definition, t, run.version), run.out.changes, EVENTS_PARQUET));
  await task.exec(copySql(`SELECT key_hash, month FROM ${removals} ORDER BY month, key_hash`, run.out.removals, SCRATCH_PARQUET));
  const [counts] = await task.rows<{ inserted: number; updated: number; unchanged: number }>(countsSql(t));
  const [{ deleted }] = await task.rows<{ deleted: number }>(`SELECT count(*)::BIGINT AS deleted FROM ${removals} r ANTI JOIN ${t.live} l ON l._key_hash = r.key_hash`);
  const months = await task.rows<{ m: number }>(
    `SELECT DISTINCT m FROM (SELECT _month AS m FROM ${t.classified} WHERE _op IS NOT NULL UNION ALL SELECT month AS m FROM ${removals}) ORDER BY m`,
  );
  const write = planIndexWrite({
    mode, layered: run.base.kind === "index" && hasBase, baseRows: run.base.kind === "index" ? await rowsOf(task, run.base.files) : 0,
    deltaRows: await Promise.all(layers.map((d) => rowsOf(task, [d]))), changed: Number(counts.inserted) + Number(counts.updated), deleted: Number(deleted),
  });
  const counted = { inserted: Number(counts.inserted), updated: Number(counts.updated), unchanged: Number(counts.unchanged), deleted: Number(deleted), months: months.map((r) => Number(r.m)) };
  if (write.kind !== "full") {
    if (write.kind === "delta") await task.exec(copySql(deltaLayerSql(t, write.merge > 0 ? layeredRowsSql([], layers.slice(layers.length - write.merge)) : null), run.out.index, INDEX_PARQUET));
    const rows = write.kind === "delta" ? await rowsOf(task, [run.out.index]) : 0;
    return { ...counted, rowsTotal: run.baseRows + counted.inserted, index: { write, rows } };
  }
  if ((snapshot ? sourceRows : run.baseRows + counted.inserted) <= (run.sortInPlaceRows ?? SORT_IN_PLACE_ROWS)) {
    await task.exec(copySql(`SELECT * FROM (${nextIndexRowsSql(t, snapshot)}) ORDER BY key_hash`, run.out.index, INDEX_PARQUET));
  } else {
    const staged = `${run.out.index}.rows.parquet`;
    try {
      await task.exec(stageSql(nextIndexRowsSql(t, snapshot), staged));
      const kind = (table: boolean) => (table ? "TABLE" : "VIEW");
      const baseTable = run.base.kind === "projection" && hasBase;
      await task.exec(`DROP ${kind(baseTable)} ${t.base}; DROP TABLE ${removals}; DROP ${kind(hasBase)} ${t.classified}; DROP ${kind(dedupe)} ${t.live}; DROP TABLE ${t.src}`);
      await task.exec(copySql(sortedIndexSql(staged), run.out.index, INDEX_PARQUET));
    } finally {
      await rm(staged, { force: true });
    }
  }
  const total = await rowsOf(task, [run.out.index]);
  return { ...counted, rowsTotal: total, index: { write, rows: total } };
}

/** Rows of Parquet files (from their footers). */
async function rowsOf(task: EngineTask, files: string[]): Promise<number> {
  if (files.length === 0) return 0;
  const [{ n }] = await task.rows<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${readParquet(files)}`);
  return Number(n);
}
