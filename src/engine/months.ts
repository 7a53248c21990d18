import type { DatasetDefinition } from "../definition";
import { copyFile } from "node:fs/promises";
import { chunksOf, STATEMENTS_PER_CALL } from "./batches";
import { columnList, eventRowsSql, keyHashSql, keyList, keysEqualSql, monthSql, partitionRangeSql } from "./hash-sql";
import { EVENTS_PARQUET, PUBLISHED_PARQUET, readParquet, sqlString } from "./sql";
import type { EngineTask } from "./task";

/** Rows and op counts of one month's file. */
export interface MonthFile {
  month: number;
  rows: number;
  inserted: number;
  updated: number;
  deleted: number;
}

/** Input of {@link buildProjections}: local paths only. */
export interface MonthsRun {
  definition: DatasetDefinition;
  version: string;
  /** The run's changed rows (event-file rows, by month then source row) and removals (written by `runDelta`). */
  changes: string;
  removals: string;
  /** Base projection files of the months that need them (any order). */
  baseFiles: string[];
  /** Months (yyyymm) to build, ascending; rows of other months are left out (a resumed run builds only what is left). */
  months: number[];
  /** Local output path of a month's file. */
  out: (month: number) => string;
}

const list = (files: string[]) => readParquet(files);

/**
 * The run's changes file (event-file rows by month, then source row) with each row's partition
 * `_month` and its position `_ord`; `where` filters the file's own columns.
 */
function changedRows(definition: DatasetDefinition, changes: string, where = ""): string {
  return `(SELECT *, ${monthSql(definition)} AS _month, file_row_number AS _ord FROM ${readParquet(changes, "file_row_number = true")}${where ? ` WHERE ${where}` : ""})`;
}

/** `column IN (months)`, or false for no months; with the range of the months too, so a reader skips the row groups outside it. */
function inMonths(column: string, months: number[]): string {
  if (months.length === 0) return "false";
  const ms = months.map((m) => Math.trunc(m));
  return `(${column} BETWEEN ${Math.min(...ms)} AND ${Math.max(...ms)} AND ${column} IN (${ms.join(", ")}))`;
}

async function counts(task: EngineTask, table: string): Promise<Map<number, MonthFile>> {
  const rows = await task.rows<{ m: number; n: number; i: number; u: number; d: number }>(
    `SELECT _month AS m, count(*)::BIGINT AS n, count(*) FILTER (WHERE _op = 'insert')::BIGINT AS i, count(*) FILTER (WHERE _op = 'update')::BIGINT AS u, count(*) FILTER (WHERE _op = 'delete')::BIGINT AS d FROM ${table} GROUP BY _month`,
  );
  return new Map(rows.map((r) => [Number(r.m), { month: Number(r.m), rows: Number(r.n), inserted: Number(r.i), updated: Number(r.u), deleted: Number(r.d) }]));
}

/** Months staged in a task table: each month's counts, and the statement writing one month's file. */
export interface StagedMonths {
  /** Every month asked for, in order; a month without rows has `rows: 0` and gets no file. */
  files: MonthFile[];
  /** The `COPY` statement writing `month`'s file to the local path `out` (only for a month with rows). */
  copy: (month: number, out: string) => string;
  /** Drops the staged table (every `copy` ran). */
  drop: () => Promise<void>;
}

/**
 * The months of `table`, a table whose rows were inserted in month then key order: a month's `COPY`
 * scans its range without sorting again, since the engine keeps insertion order in results without
 * an `ORDER BY` (`preserve_insertion_order`, set by `Engine.open`; with it off, a 2M-row month came
 * out of order). Sorting again cost 20–40 % of a 20,000-row month's statement run alone.
 */
async function staged(task: EngineTask, months: number[], table: string, select: string): Promise<StagedMonths> {
  const found = await counts(task, table);
  return {
    files: months.map((m) => found.get(m) ?? { month: m, rows: 0, inserted: 0, updated: 0, deleted: 0 }),
    copy: (m, out) => `COPY (SELECT ${select} FROM ${table} WHERE _month = ${Math.trunc(m)}) TO ${sqlString(out)} (${PUBLISHED_PARQUET})`,
    drop: () => task.exec(`DROP TABLE IF EXISTS ${table}`),
  };
}

/** Writes every staged month with rows to `run.out(month)`, {@link STATEMENTS_PER_CALL} statements per engine call on each connection. */
async function writeAll(task: EngineTask, run: MonthsRun, months: StagedMonths): Promise<MonthFile[]> {
  await task.each(chunksOf(months.files.filter((f) => f.rows > 0), STATEMENTS_PER_CALL), (chunk, exec) => exec(chunk.map((f) => months.copy(f.month, run.out(f.month))).join(";\n")));
  return months.files;
}

/** Input of {@link stageProjections}: {@link MonthsRun} without the output paths. */
export type StageRun = Omit<MonthsRun, "out">;

/** Input of {@link eventsFileSql}: local paths only. */
export interface EventsRun {
  definition: DatasetDefinition;
  version: string;
  /** The run's changed rows (event-file rows, by month then source row) and removals (written by `runDelta`). */
  changes: string;
  removals: string;
  /** Base projection files of the months keys leave (any order). */
  baseFiles: string[];
}

/**
 * The rows of a version's single event file (SPEC §2, format `/2`), sorted by partition: each
 * partition's inserts and updates in source order, then the rows of the keys leaving it (snapshot
 * deletes, moves) with their last values, `_op` `delete`. Without deletes these are the rows of
 * the changes file in its order, which {@link eventsAreChanges} lets a caller use as it is.
 */
export function eventsFileSql(run: EventsRun): string {
  const { definition } = run;
  if (run.baseFiles.length === 0) return eventRowsSql(definition, run.version, readParquet(run.changes));
  const changes = `SELECT ${columnList(definition)}, _op, _key_hash, _month, 0 AS _part, _ord FROM ${changedRows(definition, run.changes)}`;
  const deletes = `SELECT ${columnList(definition)}, 'delete' AS _op, _key_hash, _month, 1 AS _part, 0 AS _ord FROM (${leavingRowsSql(run)})`;
  return eventRowsSql(definition, run.version, `(${changes} UNION ALL ${deletes})`, `_month, _part, _ord, ${keyList(definition)}`);
}

/** The base rows of the keys leaving a month (snapshot deletes, moves), with the key's hash and the month it leaves: the deletes of the event file. */
function leavingRowsSql(run: EventsRun): string {
  const { definition } = run;
  return `SELECT ${columnList(definition, "p.")}, r.key_hash AS _key_hash, r.month AS _month
    FROM (SELECT *, ${keyHashSql(definition)} AS _kh FROM ${list(run.baseFiles)}) p JOIN ${readParquet(run.removals)} r ON r.key_hash = p._kh`;
}

/**
 * The run's changes file in the form `runDelta` writes it (event-file rows): a file of the form
 * before that (`_month` and `_row`, no `_version`), written by a `prepare` that ran on an older
 * worker, is rewritten in it to `out`, so a run in flight across a worker upgrade goes on. Returns
 * the path to read.
 */
export async function currentChanges(task: EngineTask, definition: DatasetDefinition, version: string, changes: string, out: string): Promise<string> {
  const columns = new Set((await task.rows<{ column_name: string }>(`DESCRIBE SELECT * FROM ${readParquet(changes)}`)).map((r) => r.column_name));
  if (columns.has("_version") || !columns.has("_row")) return changes;
  await task.exec(`COPY (${eventRowsSql(definition, version, readParquet(changes), "_month, _row")}) TO ${sqlString(out)} (${EVENTS_PARQUET})`);
  return out;
}

/** The `COPY` statement writing the event file of `run` to `out` (see {@link eventsFileSql}). */
export function eventsFileCopySql(run: EventsRun, out: string): string {
  return `COPY (${eventsFileSql(run)}) TO ${sqlString(out)} (${EVENTS_PARQUET})`;
}

/** What a version's event file holds: its partitions (ascending) and its rows by `_op`. */
export interface EventsFileCounts {
  months: number[];
  rows: number;
  inserted: number;
  updated: number;
  deleted: number;
}

/** The partitions and op counts of the event file of `run` (from its inputs, before it is written: the same rows {@link eventsFileSql} selects). */
export async function eventsFileCounts(task: EngineTask, run: EventsRun): Promise<EventsFileCounts> {
  const changes = `SELECT _month AS m, count(*) AS n, count(*) FILTER (WHERE _op = 'insert') AS i, count(*) FILTER (WHERE _op = 'update') AS u, 0 AS d FROM ${changedRows(run.definition, run.changes)} GROUP BY _month`;
  const deletes =
    run.baseFiles.length === 0
      ? ""
      : ` UNION ALL SELECT _month AS m, count(*) AS n, 0 AS i, 0 AS u, count(*) AS d FROM (${leavingRowsSql(run)}) GROUP BY _month`;
  const rows = await task.rows<{ m: number; n: number; i: number; u: number; d: number }>(
    `SELECT m, sum(n)::BIGINT AS n, sum(i)::BIGINT AS i, sum(u)::BIGINT AS u, sum(d)::BIGINT AS d FROM (${changes}${deletes}) GROUP BY m HAVING sum(n) > 0 ORDER BY m`,
  );
  const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + Number(f(r)), 0);
  return { months: rows.map((r) => Number(r.m)), rows: sum((r) => r.n), inserted: sum((r) => r.i), updated: sum((r) => r.u), deleted: sum((r) => r.d) };
}

/**
 * Whether the event file of `run` is its changes file as it is: a version without deletes, whose
 * changes were written for this version (their `_version`, from the first row).
 */
export async function eventsAreChanges(task: EngineTask, run: EventsRun, counts: EventsFileCounts): Promise<boolean> {
  if (counts.rows === 0 || counts.deleted > 0) return false;
  const [first] = await task.rows<{ v: string }>(`SELECT _version AS v FROM ${readParquet(run.changes)} LIMIT 1`);
  return first?.v === run.version;
}

/** Writes the event file of `run` to `out` (see {@link eventsFileSql}); returns what it holds. */
export async function writeEventsFile(task: EngineTask, run: EventsRun, out: string): Promise<EventsFileCounts> {
  const counts = await eventsFileCounts(task, run);
  if (await eventsAreChanges(task, run, counts)) await copyFile(run.changes, out);
  else if (counts.rows > 0) await task.exec(eventsFileCopySql(run, out));
  return counts;
}

/**
 * Stages the new state of each month (copy-on-write): the base month without the keys this run
 * changed or removed, plus the run's inserts and updates of the month, sorted by key. A month left
 * empty has `rows: 0` and no file. `tag` keeps the tables of several projections apart.
 */
export async function stageProjections(task: EngineTask, run: StageRun, tag = ""): Promise<StagedMonths> {
  const { definition } = run;
  const state = task.table(`state${tag}`);
  const range = run.months.length > 0 ? partitionRangeSql(definition, Math.min(...run.months), Math.max(...run.months)) : "false";
  const changes = `SELECT ${columnList(definition)}, _month, 'insert' AS _op FROM ${changedRows(definition, run.changes, range)} WHERE ${inMonths("_month", run.months)}`;
  let kept = "";
  if (run.baseFiles.length > 0) {
    const base = `SELECT ${columnList(definition)}, ${monthSql(definition)} AS _month FROM ${list(run.baseFiles)}`;
    kept = ` UNION ALL SELECT ${columnList(definition, "k.")}, k._month, 'insert' AS _op FROM (${await withoutChangedKeys(task, definition, base, run.changes, run.removals)}) k`;
  }
  await task.exec(`CREATE TABLE ${state} AS SELECT * FROM (${changes}${kept}) ORDER BY _month, ${keyList(definition)}`);
  return staged(task, run.months, state, columnList(definition));
}

/** Whether a Parquet file has rows (from its footer). */
async function hasRows(task: EngineTask, path: string): Promise<boolean> {
  const [{ n }] = await task.rows<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${readParquet(path)}`);
  return Number(n) > 0;
}

/**
 * The rows of `base` (a query with the dataset's columns) whose key the run neither changes nor
 * removes. Matched on the key columns against the changes, so base rows are not hashed; only when
 * keys leave a month (snapshot deletes, moves: the removals carry just their key hash) are the rows
 * left hashed and matched against the removals. Hashing every base row cost a 1M-row upsert of a
 * 10M-key dataset two MD5 passes over the 10M rows it rewrites.
 */
async function withoutChangedKeys(task: EngineTask, definition: DatasetDefinition, base: string, changes: string, removals: string): Promise<string> {
  const kept = `SELECT b.* FROM (${base}) b ANTI JOIN (SELECT ${keyList(definition)} FROM ${readParquet(changes)}) c ON ${keysEqualSql(definition, "c", "b")}`;
  if (!(await hasRows(task, removals))) return kept;
  return `SELECT r.* FROM (${kept}) r ANTI JOIN ${readParquet(removals)} g ON g.key_hash = ${keyHashSql(definition, "r.")}`;
}

/** The new state of each month, one file per month with rows, written to `run.out(month)` (see {@link stageProjections}). */
export async function buildProjections(task: EngineTask, run: MonthsRun, tag = ""): Promise<MonthFile[]> {
  return writeAll(task, run, await stageProjections(task, run, tag));
}

/** Rows of the run's changes and removals in each month (yyyymm): what staging a month costs. */
export async function rowsPerMonth(task: EngineTask, definition: DatasetDefinition, changes: string, removals: string): Promise<Map<number, number>> {
  const rows = await task.rows<{ m: number; n: number }>(
    `SELECT m, count(*)::BIGINT AS n FROM (SELECT _month AS m FROM ${changedRows(definition, changes)} UNION ALL SELECT month AS m FROM ${readParquet(removals)}) GROUP BY m`,
  );
  return new Map(rows.map((r) => [Number(r.m), Number(r.n)]));
}

/**
 * Months (yyyymm) whose parts hold a key the run updates or removes: the month of a key updated in
 * place, and the month a key leaves (a removal: deleted, or moved to another month). The month a
 * key moves to is not dirty for it (its parts do not hold it), and inserts alone need no look.
 */
export async function dirtyMonths(task: EngineTask, definition: DatasetDefinition, changes: string, removals: string): Promise<number[]> {
  const inPlace = `SELECT c._month AS m FROM ${changedRows(definition, changes)} c ANTI JOIN ${readParquet(removals)} r ON r.key_hash = c._key_hash WHERE c._op = 'update'`;
  const rows = await task.rows<{ m: number }>(`SELECT DISTINCT m FROM (${inPlace} UNION ALL SELECT month AS m FROM ${readParquet(removals)}) ORDER BY m`);
  return rows.map((r) => Number(r.m));
}

/**
 * Which of the local projection `files` hold a key the run changes or removes: reads only their key
 * columns. Returns the matching paths as given.
 */
export async function filesHoldingChangedKeys(task: EngineTask, definition: DatasetDefinition, changes: string, removals: string, files: string[]): Promise<Set<string>> {
  if (files.length === 0) return new Set();
  const keysOf = `SELECT ${keyList(definition)}, _file FROM ${readParquet(files, "filename = '_file', union_by_name = true")}`;
  const changed = `SELECT p._file AS f FROM (${keysOf}) p SEMI JOIN (SELECT ${keyList(definition)} FROM ${readParquet(changes)}) c ON ${keysEqualSql(definition, "c", "p")}`;
  const removed = (await hasRows(task, removals))
    ? ` UNION ALL SELECT p._file AS f FROM (${keysOf}) p SEMI JOIN ${readParquet(removals)} g ON g.key_hash = ${keyHashSql(definition, "p.")}`
    : "";
  const rows = await task.rows<{ f: string }>(`SELECT DISTINCT f FROM (${changed}${removed})`);
  return new Set(rows.map((r) => String(r.f)));
}

/** Every row of a month's files merged into one file sorted by key (`optimize`); returns its rows. */
export async function mergeMonthFiles(task: EngineTask, definition: DatasetDefinition, files: string[], out: string): Promise<number> {
  await task.exec(`COPY (SELECT ${columnList(definition)} FROM ${readParquet(files, "union_by_name = true")} ORDER BY ${keyList(definition)}) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`);
  const [{ n }] = await task.rows<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${readParquet(out)}`);
  return Number(n);
}
