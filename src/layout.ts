/**
 * Object keys of the normative storage layout (SPEC §2). Store keys are relative to the store root;
 * manifest paths are relative to the dataset root.
 */

/** Formats a month number yyyymm as `YYYY-MM`. */
export function monthLabel(month: number): string {
  return `${Math.floor(month / 100)}-${String(month % 100).padStart(2, "0")}`;
}

/** Parses `YYYY-MM` into yyyymm, or undefined when malformed. */
export function parseMonthLabel(label: string): number | undefined {
  const m = /^(\d{4})-(\d{2})$/.exec(label);
  if (!m) return undefined;
  const month = Number(m[2]);
  return month >= 1 && month <= 12 ? Number(m[1]) * 100 + month : undefined;
}

function monthDir(month: number): string {
  return `year=${Math.floor(month / 100)}/month=${String(month % 100).padStart(2, "0")}`;
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
