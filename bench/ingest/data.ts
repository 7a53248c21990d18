import { closeSync, openSync, writeSync } from "node:fs";

/** Shape of the generated P1/P2 sources. */
export interface SeriesShape {
  /** Monthly series, each with `months` first-of-month rows from 1980-01-01. */
  series: number;
  months: number;
  /** Daily series, each with one row per day over the last 12 months of the range (0: none). */
  daily?: number;
}

/** Rows written by {@link writeSources}. */
export interface SourceRows {
  v1Rows: number;
  v2Rows: number;
  changedRows: number;
}

const HEADER = "series_id,obs_date,value\n";

/** Buffered line writer: generated sources reach 10M rows, far beyond one string. */
class CsvWriter {
  private readonly fd: number;
  private buf: string[] = [];
  private size = 0;
  rows = 0;

  constructor(path: string) {
    this.fd = openSync(path, "w");
    writeSync(this.fd, HEADER);
  }

  line(text: string): void {
    this.buf.push(text);
    this.size += text.length;
    this.rows++;
    if (this.size > 1 << 20) this.flush();
  }

  close(): number {
    this.flush();
    closeSync(this.fd);
    return this.rows;
  }

  private flush(): void {
    if (this.buf.length > 0) writeSync(this.fd, this.buf.join(""));
    this.buf = [];
    this.size = 0;
  }
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** A deterministic uniform [0, 1) from an integer (random access, unlike {@link lcg}). */
function hash01(x: number): number {
  let a = x | 0;
  a = Math.imul(a ^ (a >>> 16), 0x45d9f3b);
  a = Math.imul(a ^ (a >>> 16), 0x45d9f3b);
  return ((a ^ (a >>> 16)) >>> 0) / 2 ** 32;
}

function monthDate(month: number): string {
  const y = 1980 + Math.floor(month / 12);
  return `${y}-${String((month % 12) + 1).padStart(2, "0")}-01`;
}

function dayDate(firstMonth: number, day: number): string {
  return new Date(Date.UTC(1980, firstMonth, 1 + day)).toISOString().slice(0, 10);
}

function monthlyId(s: number): string {
  return `CB_SERIES_MONTHLY_${String(s).padStart(5, "0")}`;
}

/**
 * Writes the deterministic sources of P1/P2 (and MinIO, P6): `v1` (series × months rows plus the
 * daily part, ~1 % empty values), `v2` (1 % of v1's values revised, plus 1 % new rows as new months
 * or days) and `changes` (only v2's revised and new rows, for the delta-rs changes-only merge).
 */
export function writeSources(shape: SeriesShape, v1Path: string, v2Path: string, changesPath: string): SourceRows {
  const rnd = lcg(42);
  const revise = lcg(7);
  const v1 = new CsvWriter(v1Path);
  const v2 = new CsvWriter(v2Path);
  const changes = new CsvWriter(changesPath);
  const emit = (id: string, date: string, isNew: boolean) => {
    const line = `${id},${date},${rnd() < 0.01 ? "" : (rnd() * 200_000 - 1_000).toFixed(4)}\n`;
    if (isNew) {
      v2.line(line);
      changes.line(line);
      return;
    }
    v1.line(line);
    if (revise() < 0.01) {
      const revised = `${id},${date},${(revise() * 1_000).toFixed(3)}\n`;
      v2.line(revised);
      changes.line(revised);
    } else v2.line(line);
  };
  const newMonths = Math.max(1, Math.round(shape.months / 100));
  for (let s = 0; s < shape.series; s++) {
    for (let m = 0; m < shape.months + newMonths; m++) emit(monthlyId(s), monthDate(m), m >= shape.months);
  }
  const firstMonth = Math.max(0, shape.months - 12);
  const days = Math.round((Date.UTC(1980, shape.months, 1) - Date.UTC(1980, firstMonth, 1)) / 86_400_000);
  const newDays = Math.max(1, Math.round(days / 100));
  for (let s = 0; s < (shape.daily ?? 0); s++) {
    for (let d = 0; d < days + newDays; d++) emit(`CB_SERIES_DAILY_${String(s).padStart(5, "0")}`, dayDate(firstMonth, d), d >= days);
  }
  return { v1Rows: v1.close(), v2Rows: v2.close(), changedRows: changes.close() };
}

/** Months per series of the P4 data: 500 (quick mode: 50, fewer partitions). */
let SCALE_MONTHS = 500;

/** Sets the months per series of the P4 data (before writing any of it). */
export function setScaleMonths(months: number): void {
  SCALE_MONTHS = months;
}

function scaleValue(s: number, m: number): string {
  const h = hash01(s * 7919 + m * 104_729 + 1);
  return h < 0.01 ? "" : (hash01(s * 31 + m * 1_000_003 + 17) * 200_000 - 1_000).toFixed(4);
}

/**
 * Writes the P4 base: `keys` rows (series × months, values by hash so snapshots can
 * re-derive them), split into `parts` files over disjoint series (ingested one after another in
 * upsert mode). Returns the paths.
 */
export function writeScaleBase(keys: number, parts: number, pathOf: (part: number) => string): string[] {
  const series = Math.max(1, Math.round(keys / SCALE_MONTHS));
  const per = Math.ceil(series / parts);
  const paths: string[] = [];
  for (let p = 0; p * per < series; p++) {
    const out = new CsvWriter(pathOf(p));
    for (let s = p * per; s < Math.min(series, (p + 1) * per); s++) for (let m = 0; m < SCALE_MONTHS; m++) out.line(`${monthlyId(s)},${monthDate(m)},${scaleValue(s, m)}\n`);
    out.close();
    paths.push(pathOf(p));
  }
  return paths;
}

/**
 * Writes P4 snapshot number `run` (upsert mode): `rows` rows (exactly, from 1 % × 500 months up) over a
 * stride of the base's series (offset by `run`, so runs touch disjoint series), 1 % of them revised,
 * and the rest, about 1 %, new rows in new months (distinct per run). Returns its row count.
 */
export function writeScaleSnapshot(baseKeys: number, rows: number, run: number, path: string): number {
  const baseSeries = Math.max(1, Math.round(baseKeys / SCALE_MONTHS));
  const picked = Math.max(1, Math.round((rows * 0.99) / SCALE_MONTHS));
  const stride = Math.max(1, Math.floor(baseSeries / picked));
  const fresh = Math.max(picked, rows - picked * SCALE_MONTHS);
  const newMonths = Math.ceil(fresh / picked);
  const revise = lcg(100 + run);
  const out = new CsvWriter(path);
  for (let k = 0; k < picked; k++) {
    const s = (k * stride + (run % stride)) % baseSeries;
    for (let m = 0; m < SCALE_MONTHS; m++) {
      const value = revise() < 0.01 ? (1_000 + run + revise()).toFixed(5) : scaleValue(s, m);
      out.line(`${monthlyId(s)},${monthDate(m)},${value}\n`);
    }
    const mine = Math.floor(fresh / picked) + (k < fresh % picked ? 1 : 0);
    for (let j = 0; j < mine; j++) out.line(`${monthlyId(s)},${monthDate(SCALE_MONTHS + run * newMonths + j)},${scaleValue(s, SCALE_MONTHS + run * newMonths + j)}\n`);
  }
  return out.close();
}

/** Writes the two 10-row sources of P5 (the second revises one value), alternated so every run publishes. */
export function writeTinySources(a: string, b: string): void {
  for (const [path, bump] of [[a, 0], [b, 1]] as const) {
    const out = new CsvWriter(path);
    for (let m = 0; m < 10; m++) out.line(`${monthlyId(0)},${monthDate(m)},${m === 0 ? 1 + bump : m}.5\n`);
    out.close();
  }
}

/** The dataset definition (YAML) of a generated source; `upsert` for P4, `snapshot` otherwise. */
export function definitionYaml(dataset: string, sourcePath: string, mode: "snapshot" | "upsert" = "snapshot"): string {
  return [
    `id: ${dataset}`,
    `source: { uri: "file://${sourcePath}", format: csv }`,
    `mode: ${mode}`,
    "schema:",
    "  columns:",
    "    - { name: series_id, type: string }",
    "    - { name: obs_date, type: date }",
    "    - { name: value, type: double }",
    "  key: [series_id, obs_date]",
    "  partition_by: obs_date",
    "",
  ].join("\n");
}
