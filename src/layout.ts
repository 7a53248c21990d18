/**
 * Object keys of the normative storage layout (SPEC §2). Store keys are relative to the store root;
 * manifest paths are relative to the dataset root.
 */

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** Year, month and day of a partition number (`yyyy`, `yyyymm` or `yyyymmdd`: its size tells the granularity). */
function partsOf(partition: number): [year: number, month?: number, day?: number] {
  if (partition < 10_000) return [partition];
  if (partition < 1_000_000) return [Math.floor(partition / 100), partition % 100];
  return [Math.floor(partition / 10_000), Math.floor(partition / 100) % 100, partition % 100];
}

/**
 * Formats a partition number (SPEC §2: "month" means partition) as its label: `yyyy` as `YYYY`,
 * `yyyymm` as `YYYY-MM`, `yyyymmdd` as `YYYY-MM-DD`.
 */
export function monthLabel(month: number): string {
  const [year, m, day] = partsOf(month);
  return [pad(year, 4), ...(m === undefined ? [] : [pad(m, 2)]), ...(day === undefined ? [] : [pad(day, 2)])].join("-");
}

/**
 * Parses a partition label (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, a real calendar date) into its
 * number, or undefined when malformed or when the number would not format back to the label.
 */
export function parseMonthLabel(label: string): number | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(label);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), m[2] === undefined ? undefined : Number(m[2]), m[3] === undefined ? undefined : Number(m[3])];
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined) {
    const date = new Date(Date.UTC(2000, month! - 1, day));
    date.setUTCFullYear(year);
    if (date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day) return undefined;
  }
  const n = month === undefined ? year : day === undefined ? year * 100 + month : year * 10_000 + month * 100 + day;
  return monthLabel(n) === label ? n : undefined;
}

/** The partition directory of a partition number: `year=YYYY`, `year=YYYY/month=MM` or `year=YYYY/month=MM/day=DD`. */
export function monthDir(month: number): string {
  const [year, m, day] = partsOf(month);
  return [`year=${pad(year, 4)}`, ...(m === undefined ? [] : [`month=${pad(m, 2)}`]), ...(day === undefined ? [] : [`day=${pad(day, 2)}`])].join("/");
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
  eventPart(version: string, month: number, part: number): string {
    return `events/${version}/data/${monthDir(month)}/part-${String(part).padStart(5, "0")}.parquet`;
  }
  index(version: string, shard?: number): string {
    return shard === undefined ? `index/${version}/keys.parquet` : `index/${version}/keys-${String(shard).padStart(2, "0")}.parquet`;
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
  /** Scratch prefix of an unpublished run. */
  runs(version: string): string {
    return `runs/${version}/`;
  }
  /** Prefixes whose objects belong to `version` (used by compensations and gc). */
  versionPrefixes(version: string): string[] {
    return [`events/${version}/`, `index/${version}/`, this.runs(version)];
  }
}
