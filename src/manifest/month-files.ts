/**
 * The one view of a projection month every reader uses (SPEC §2): a `/1` month is one file
 * `{ path, rows }`, a `/2` month a list of `files`; both read as a list of files. Pure.
 */
import type { ProjectionMonth, ProjectionMonthV2 } from "./schema";

/** One file of a projection month as readers see it (`bytes` is absent only in old `/1` manifests). */
export interface MonthFile {
  path: string;
  rows: number;
  bytes?: number;
}

/** The files of a projection month of either format, in manifest order. */
export function monthFiles(entry: ProjectionMonth): MonthFile[] {
  if ("files" in entry) return entry.files.map((f) => ({ path: f.path, rows: f.rows, bytes: f.bytes }));
  return [{ path: entry.path, rows: entry.rows, ...(entry.bytes !== undefined ? { bytes: entry.bytes } : {}) }];
}

/** A `/2` month from its files (rows summed), or null when no file is left (the month became empty). */
export function monthEntry(files: { path: string; rows: number; bytes: number }[]): ProjectionMonthV2 | null {
  const kept = files.filter((f) => f.rows > 0);
  if (kept.length === 0) return null;
  return { rows: kept.reduce((n, f) => n + f.rows, 0), files: kept.map((f) => ({ path: f.path, rows: f.rows, bytes: f.bytes })) };
}

/** Every file path of every month of every projection (what a version references there). */
export function projectionPaths(projections: Record<string, Record<string, ProjectionMonth>>): string[] {
  return Object.values(projections).flatMap((months) => Object.values(months).flatMap((m) => monthFiles(m).map((f) => f.path)));
}

/** A month of either format as a `/2` month; `sizes` supplies the bytes an old `/1` entry lacks (by path). */
export function asV2(entry: ProjectionMonth, sizes: ReadonlyMap<string, number> = new Map()): ProjectionMonthV2 {
  const files = monthFiles(entry).map((f) => {
    const bytes = f.bytes ?? sizes.get(f.path);
    if (bytes === undefined) throw new Error(`The size of ${f.path} is unknown; pass it in sizes.`);
    return { path: f.path, rows: f.rows, bytes };
  });
  return { rows: files.reduce((n, f) => n + f.rows, 0), files };
}
