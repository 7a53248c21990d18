/**
 * Object keys of the normative storage layout (SPEC §2). Store keys are relative to the store root;
 * manifest paths are relative to the dataset root.
 */

import { TidemarkError } from "./errors";

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * A partition number that is not `yyyy`, `yyyymm` or `yyyymmdd` (4, 6 or 8 digits, a month 01–12,
 * a day 01–31) reached the layout: a bug upstream, refused so that no misleading path is written.
 */
export class PartitionNumberError extends TidemarkError {
  constructor(readonly partition: number) {
    super(`Internal error: partition number ${partition} is not yyyy, yyyymm or yyyymmdd (4, 6 or 8 digits), so it has no label or directory; nothing was written under it — report this with the dataset definition.`);
  }
}

/** Year, month and day of a partition number (`yyyy`, `yyyymm` or `yyyymmdd`: its digit count tells the granularity). */
function partsOf(partition: number): [year: number, month?: number, day?: number] {
  const digits = Number.isSafeInteger(partition) && partition > 0 ? String(partition).length : 0;
  const parts: [number, number?, number?] | undefined =
    digits === 4
      ? [partition]
      : digits === 6
        ? [Math.floor(partition / 100), partition % 100]
        : digits === 8
          ? [Math.floor(partition / 10_000), Math.floor(partition / 100) % 100, partition % 100]
          : undefined;
  const [, month, day] = parts ?? [];
  if (parts === undefined || (month !== undefined && (month < 1 || month > 12)) || (day !== undefined && (day < 1 || day > 31))) throw new PartitionNumberError(partition);
  return parts;
}

/**
 * Formats a partition number (SPEC §2: "month" means partition) as its label: `yyyy` as `YYYY`,
 * `yyyymm` as `YYYY-MM`, `yyyymmdd` as `YYYY-MM-DD`. Throws {@link PartitionNumberError} for any
 * other number.
 */
export function monthLabel(month: number): string {
  const [year, m, day] = partsOf(month);
  return [String(year), ...(m === undefined ? [] : [pad(m, 2)]), ...(day === undefined ? [] : [pad(day, 2)])].join("-");
}

/**
 * Parses a partition label (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, a real calendar date, year 1000 or
 * later) into its number, or undefined when malformed.
 */
export function parseMonthLabel(label: string): number | undefined {
  const m = /^([1-9]\d{3})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(label);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), m[2] === undefined ? undefined : Number(m[2]), m[3] === undefined ? undefined : Number(m[3])];
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined) {
    const date = new Date(Date.UTC(2000, month! - 1, day));
    date.setUTCFullYear(year);
    if (date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day) return undefined;
  }
  return month === undefined ? year : day === undefined ? year * 100 + month : year * 10_000 + month * 100 + day;
}

/**
 * The partition directory of a partition number: `year=YYYY`, `year=YYYY/month=MM` or
 * `year=YYYY/month=MM/day=DD`. Throws {@link PartitionNumberError} for any other number.
 */
export function monthDir(month: number): string {
  const [year, m, day] = partsOf(month);
  return [`year=${year}`, ...(m === undefined ? [] : [`month=${pad(m, 2)}`]), ...(day === undefined ? [] : [`day=${pad(day, 2)}`])].join("/");
}

/** Key (store root) of the scratch object of the start-up check of conditional writes; written and deleted at once, a leftover is harmless. */
export function conditionalProbeKey(id: string): string {
  return `probes/conditional-${id}`;
}

/** Key builders for one dataset. */
export class DatasetLayout {
  /** Store key of the dataset root, ending in "/". */
  readonly root: string;
  constructor(readonly datasetId: string) {
    this.root = `datasets/${datasetId}/`;
  }
  /** Store key of a path relative to the dataset root. */
  key(relativePath: string): string {
    return this.root + relativePath;
  }
  /** Path relative to the dataset root of a store key under it. */
  relative(key: string): string {
    if (!key.startsWith(this.root)) throw new Error(`key ${key} is outside dataset ${this.datasetId}`);
    return key.slice(this.root.length);
  }
  /** `current/manifest.json`: the pointer, changed only by CAS. */
  pointer(): string {
    return "current/manifest.json";
  }
  versionManifest(version: string): string {
    return `events/${version}/manifest.json`;
  }
  /** Report of the bad rows a version quarantined. */
  quarantine(version: string): string {
    return `events/${version}/quarantine.ndjson`;
  }
  /** The single event file of a version, sorted by partition (format `/2`, SPEC §2). */
  eventsFile(version: string): string {
    return `events/${version}/data/part-00000.parquet`;
  }
  /** The event file of one partition, as releases before the single file wrote them (still read). */
  eventPart(version: string, month: number, part: number): string {
    return `events/${version}/data/${monthDir(month)}/part-${String(part).padStart(5, "0")}.parquet`;
  }
  index(version: string, shard?: number): string {
    return shard === undefined ? `index/${version}/keys.parquet` : `index/${version}/keys-${String(shard).padStart(2, "0")}.parquet`;
  }
  /** The delta layer of the key index a version writes instead of a complete index (SPEC §2). */
  indexDelta(version: string): string {
    return `index/${version}/delta.parquet`;
  }
  projection(name: string, month: number, version: string): string {
    return `projections/${name}/${monthDir(month)}/${version}.parquet`;
  }
  /** A part file a version adds to a projection month holding other files too (format `/2`). */
  projectionPart(name: string, month: number, version: string, part: number): string {
    return `projections/${name}/${monthDir(month)}/${version}-p${String(part).padStart(5, "0")}.parquet`;
  }
  /** Prefix of every projection file `version` wrote in a month (the whole file and its parts). */
  projectionFilesOf(name: string, month: number, version: string): string {
    return `projections/${name}/${monthDir(month)}/${version}`;
  }
  /** `inbox/`: prefix of a push dataset's fragments not yet compacted (SPEC §11). */
  inbox(): string {
    return "inbox/";
  }
  /** `inbox/<fragment-id>`: one create-only fragment of pushed records (NDJSON, see README "Push intake"). */
  inboxFragment(fragmentId: string): string {
    return `inbox/${fragmentId}`;
  }
  /**
   * `quarantine/fragments/` (every version's set-aside fragments, README "Push intake") or
   * `quarantine/fragments/<version>/`: the copies of the inbox fragments `version`'s compaction set aside.
   */
  quarantinedFragments(version?: string): string {
    return version === undefined ? "quarantine/fragments/" : `quarantine/fragments/${version}/`;
  }
  /**
   * `quarantine/fragments/<version>/<fragment-id>`: the create-only copy of an inbox fragment that
   * `version`'s compaction could not apply. Each version has its own copy, so an older run's
   * unreferenced copy that gc is about to delete is never taken over by a later version.
   */
  quarantinedFragment(version: string, fragmentId: string): string {
    return `${this.quarantinedFragments(version)}${fragmentId}`;
  }
  /**
   * The copy a manifest's `source.set_aside` entry names: its `path`, or
   * `quarantine/fragments/<fragment-id>` for entries written before copies were kept per version.
   */
  setAsideCopy(entry: { readonly fragment: string; readonly path?: string }): string {
    return entry.path ?? `quarantine/fragments/${entry.fragment}`;
  }
  /** A probe gc writes and deletes to read the store's clock (scratch: a leftover is swept like any). */
  clockProbe(id: string): string {
    return `runs/gc-clock-${id}`;
  }
  /** Scratch prefix of an unpublished run. */
  runs(version: string): string {
    return `runs/${version}/`;
  }
  /** Prefixes whose objects belong to `version` (used by compensations and gc). */
  versionPrefixes(version: string): string[] {
    return [`events/${version}/`, `index/${version}/`, this.runs(version)];
  }
}
