/**
 * Which projection month files a version writes (pure): the touched months of every projection of
 * the definition, and every live month of a projection the parent version does not have yet (built
 * from a projection the parent has: all projections hold the same latest state). A touched month
 * keeps the parts that hold no key this version changes or removes and rewrites the others, with the
 * month's new and changed rows, into one new file (SPEC §2, format `/2`).
 */
import { DatasetLayout, parseMonthLabel } from "../layout";
import { monthFiles, type MonthFile } from "./month-files";
import type { ProjectionMonth } from "./schema";

/** One projection month a version writes. */
export interface ProjectionMonthPlan {
  projection: string;
  /** YYYY-MM. */
  month: string;
  /** The parent's files of this month to start from (paths relative to the dataset root); empty for a new month. */
  base: MonthFile[];
  /** Whether `base` belongs to this projection (false: a projection new in the definition starts from another one's files). */
  own: boolean;
  /** Whether the version's changes touch the month; an untouched month is a copy of `base`. */
  touched: boolean;
}

/** The projection months of a parent version: name → YYYY-MM → month of either format. */
export type ParentProjections = Record<string, Record<string, ProjectionMonth>>;

/** The projection months a version writes, in definition order then month order. */
export function planProjectionMonths(projections: string[], parent: ParentProjections | null, touched: string[]): ProjectionMonthPlan[] {
  const plan: ProjectionMonthPlan[] = [];
  const touchedSet = new Set(touched);
  for (const projection of projections) {
    const own = parent?.[projection];
    const from = parentEntries(parent, projection);
    const months = own ? [...touchedSet] : [...new Set([...touchedSet, ...Object.keys(from)])];
    for (const month of months.sort()) {
      plan.push({ projection, month, base: from[month] ? monthFiles(from[month]) : [], own: !parent || own !== undefined, touched: touchedSet.has(month) });
    }
  }
  return plan;
}

/** The parent's months of `preferred`, or of the projection a new one is built from when the parent lacks it. */
export function parentEntries(parent: ParentProjections | null, preferred: string): Record<string, ProjectionMonth> {
  if (!parent) return {};
  const reference = Object.keys(parent).sort()[0];
  return parent[preferred] ?? (reference !== undefined ? parent[reference] : {});
}

/**
 * {@link parentEntries} for code that needs one file per month (a `/1` parent): a month of several
 * files throws, since only `/2` parents have them.
 */
export function parentMonths(parent: ParentProjections | null, preferred: string): Record<string, { path: string; rows: number }> {
  const out: Record<string, { path: string; rows: number }> = {};
  for (const [month, entry] of Object.entries(parentEntries(parent, preferred))) {
    const files = monthFiles(entry);
    if (files.length !== 1) throw new Error(`Month ${month} of the parent version has ${files.length} part files where one was expected; run "tidemark optimize --all" on the dataset first.`);
    out[month] = { path: files[0].path, rows: files[0].rows };
  }
  return out;
}

/** Which parts of a version's months hold a key it updates or removes: known without a look, or to be found by reading their keys. */
export interface KeyReadPlan {
  /** Parts known to hold such a key: the only part of a dirty month (a month's live keys are all in its parts). */
  held: string[];
  /** Parts whose key columns the engine reads to find the ones holding such a key: every part of a dirty month that has several. */
  read: string[];
}

/**
 * The key read of a version's own touched months, given its dirty months (those whose parts hold a
 * key it updates in place or removes, YYYY-MM): a month with one part needs no read, since the key
 * the index places in the month is in that part; a month with several parts has its parts' keys read.
 */
export function planKeyRead(entries: readonly ProjectionMonthPlan[], dirtyMonths: ReadonlySet<string>): KeyReadPlan {
  const held = new Set<string>();
  const read = new Set<string>();
  for (const e of entries) {
    if (!e.own || !e.touched || !dirtyMonths.has(e.month)) continue;
    for (const f of e.base) (e.base.length === 1 ? held : read).add(f.path);
  }
  return { held: [...held], read: [...read] };
}

/** What a version does to one projection month. */
export interface MonthPartsPlan {
  /** Files kept unchanged (carried forward). */
  carried: MonthFile[];
  /** Files whose rows, without the keys this version changes or removes, go into `path` with the month's new and changed rows. */
  rewritten: MonthFile[];
  /** Files copied byte for byte (an untouched month of a new projection): from → to. */
  copies: { from: MonthFile; to: string }[];
  /** The file this version writes for the month (unless it ends up with no rows): whole, or a part next to `carried`. */
  path: string;
}

/**
 * The parts plan of one month: a part is rewritten when it holds a key the version changes or
 * removes (`hit`), else carried; the new file is `<version>.parquet` when nothing is carried, else
 * `<version>-pNNNNN.parquet` numbered after the carried files. A month that would end up with more
 * than `maxParts` files is rewritten whole instead (so parts stay bounded without an `optimize`
 * run: every `maxParts`-th append to a month costs O(month)). A new projection rewrites all of a
 * touched month and copies an untouched one file by file.
 */
export function planMonthParts(entry: ProjectionMonthPlan, hit: (path: string) => boolean, dataset: string, version: string, maxParts = Number.POSITIVE_INFINITY): MonthPartsPlan {
  const layout = new DatasetLayout(dataset);
  const month = parseMonthLabel(entry.month);
  if (month === undefined) throw new Error(`Month ${entry.month} is not YYYY-MM.`);
  const whole = layout.projection(entry.projection, month, version);
  if (!entry.touched) {
    const copies = entry.base.map((from, i) => ({ from, to: entry.base.length === 1 ? whole : layout.projectionPart(entry.projection, month, version, i) }));
    return { carried: [], rewritten: [], copies, path: whole };
  }
  const kept = entry.own ? entry.base.filter((f) => !hit(f.path)) : [];
  const carried = kept.length + 1 > maxParts ? [] : kept;
  const rewritten = entry.base.filter((f) => !carried.includes(f));
  const path = carried.length === 0 ? whole : layout.projectionPart(entry.projection, month, version, carried.length);
  return { carried, rewritten, copies: [], path };
}

/** Months whose parts exceed `maxParts` (or, with `all`, have more than one file), per projection, in month order. */
export function monthsToOptimize(projections: ParentProjections, maxParts: number, all: boolean): { projection: string; month: string; files: MonthFile[] }[] {
  const out: { projection: string; month: string; files: MonthFile[] }[] = [];
  for (const projection of Object.keys(projections).sort()) {
    for (const month of Object.keys(projections[projection]).sort()) {
      const files = monthFiles(projections[projection][month]);
      if (files.length > (all ? 1 : maxParts)) out.push({ projection, month, files });
    }
  }
  return out;
}

/** Whether a projection file key (or path) was written by `version`: its whole-month file or one of its parts. */
export function writtenBy(key: string, version: string): boolean {
  const name = key.slice(key.lastIndexOf("/") + 1);
  return name === `${version}.parquet` || (name.startsWith(version) && /^-p\d{5}\.parquet$/.test(name.slice(version.length)));
}
