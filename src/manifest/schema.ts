import { z } from "zod";
import { GRANULARITIES } from "../definition/partition";
import { TidemarkError } from "../errors";

/** A pointer or manifest object that does not match its format. */
export class ManifestFormatError extends TidemarkError {}

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "an ISO-8601 date");
const count = z.number().int().nonnegative();

/** `current/manifest.json` (SPEC §2). */
export const PointerSchema = z.object({
  format: z.literal("tidemark.pointer/1"),
  dataset_id: z.string(),
  current_version: z.string(),
  manifest: z.string(),
  parent_version: z.string().nullable(),
  published_at: isoDate,
});
export type Pointer = z.infer<typeof PointerSchema>;

const eventCounts = { path: z.string(), rows: count, bytes: count, inserted: count, updated: count, deleted: count };

/** The event file of one partition (`events/<v>/data/year=…/part-00000.parquet`; every release before the single file). */
export const MonthEventFileSchema = z.object({ ...eventCounts, month: z.string() });
export type MonthEventFile = z.infer<typeof MonthEventFileSchema>;

/**
 * A version's single event file (format `/2`, SPEC §2: `events/<v>/data/part-00000.parquet`): every
 * partition's events, sorted by partition, with the partitions it holds listed in `months`.
 */
export const VersionEventFileSchema = z.object({ ...eventCounts, months: z.array(z.string()).min(1) });
export type VersionEventFile = z.infer<typeof VersionEventFileSchema>;

/** One event file of a version: of one partition, or (format `/2`) of all of them. */
export const EventFileSchema = z.union([MonthEventFileSchema, VersionEventFileSchema]);
export type EventFile = z.infer<typeof EventFileSchema>;

/** The partitions (labels) an event file holds. */
export function eventFileMonths(file: EventFile): string[] {
  return "months" in file ? file.months : [file.month];
}

/** One file of a projection month (format `/2`). */
export const ProjectionFileSchema = z.object({ path: z.string(), rows: count, bytes: count });
export type ProjectionFile = z.infer<typeof ProjectionFileSchema>;

/** A projection month of format `/1`: one file. */
export const ProjectionMonthV1Schema = z.object({ path: z.string(), rows: count, bytes: count.optional() });
export type ProjectionMonthV1 = z.infer<typeof ProjectionMonthV1Schema>;

/** A projection month of format `/2`: its files (a key lives in exactly one) and their total rows. */
export const ProjectionMonthV2Schema = z.object({ rows: count, files: z.array(ProjectionFileSchema).min(1) });
export type ProjectionMonthV2 = z.infer<typeof ProjectionMonthV2Schema>;

/** A projection month as a manifest of either format records it; read it through `monthFiles`. */
export const ProjectionMonthSchema = z.union([ProjectionMonthV2Schema, ProjectionMonthV1Schema]);
export type ProjectionMonth = z.infer<typeof ProjectionMonthSchema>;

/** Manifest formats this release reads; it writes {@link VERSION_FORMAT}. */
export const VERSION_FORMATS = ["tidemark.version/1", "tidemark.version/2"] as const;
/** The manifest format this release writes. */
export const VERSION_FORMAT = "tidemark.version/2";

/** Counts of a version. */
export const TotalsSchema = z.object({ rows_total: count, inserted: count, updated: count, deleted: count });
export type Totals = z.infer<typeof TotalsSchema>;

/** `events/<version>/manifest.json` (SPEC §2). Fields may be added; these keep their meaning. */
export const VersionManifestSchema = z.object({
  format: z.enum(VERSION_FORMATS),
  dataset_id: z.string(),
  version: z.string(),
  parent_version: z.string().nullable(),
  created_at: isoDate,
  run: z.object({ workflow_id: z.string(), run_id: z.string() }),
  /**
   * `fragments`: the inbox fragments a push compaction consumed (SPEC §11; Tidemark addition to /1).
   * `set_aside`: those of `fragments` it did not apply because DuckDB could not read them, each
   * copied to `quarantine/fragments/<fragment>` with a one-sentence `reason` (Tidemark addition to /1;
   * absent when none; not carried into optimize or repair versions).
   * `read`: the read fingerprint of the definition the rows were read with (src/definition/read-fingerprint.ts; Tidemark addition).
   */
  source: z.object({ uri: z.string(), bytes: count, sha256: z.string(), etag: z.string().nullable(), fragments: z.array(z.string()).optional(),
    set_aside: z.array(z.object({ fragment: z.string(), reason: z.string(), path: z.string().optional() })).optional(), read: z.string().optional() }),
  schema: z.object({
    columns: z.array(z.object({ name: z.string(), type: z.string(), decimal: z.string().optional() })),
    key: z.array(z.string()),
    /** The column (partitioned by month), or `{ column, granularity }` (SPEC §2). */
    partition_by: z.union([z.string(), z.object({ column: z.string(), granularity: z.enum(GRANULARITIES) })]),
  }),
  events: z.array(EventFileSchema),
  /** Base files, then delta layers oldest first (`layer: "delta"`; a key's entry is in the last file holding it, SPEC §2). */
  index: z.array(z.object({ path: z.string(), rows: count, bytes: count.optional(), hashing: z.string().optional(), layer: z.enum(["base", "delta"]).optional() })),
  projections: z.record(z.string(), z.record(z.string(), ProjectionMonthSchema)),
  totals: TotalsSchema,
  /** Bad rows dropped under `on_bad_rows: quarantine` (Tidemark addition). */
  quarantine: z.object({ path: z.string(), rows: count }).optional(),
}).superRefine((m, ctx) => {
  const v2 = m.format === "tidemark.version/2";
  for (const [name, months] of Object.entries(m.projections)) {
    for (const [month, entry] of Object.entries(months)) {
      if (("files" in entry) === v2) continue;
      const expected = v2 ? "{ rows, files: [{ path, rows, bytes }] }" : "{ path, rows }";
      ctx.addIssue({ code: "custom", path: ["projections", name, month], message: `a month of ${m.format} must be ${expected}` });
    }
  }
});
export type VersionManifest = z.infer<typeof VersionManifestSchema>;

function parseWith<T>(schema: z.ZodType<T>, text: string | Uint8Array, what: string): T {
  const raw = typeof text === "string" ? text : new TextDecoder().decode(text);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new ManifestFormatError(`${what} is not valid JSON (${(err as Error).message}); run "tidemark verify" on the dataset.`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ManifestFormatError(`${what} is malformed at ${issue.path.join(".") || "(root)"}: ${issue.message}; run "tidemark verify" on the dataset.`);
  }
  return result.data;
}

/** Parses and validates a pointer object. */
export function parsePointer(body: string | Uint8Array, what = "current/manifest.json"): Pointer {
  return parseWith(PointerSchema, body, what);
}

/** Parses and validates a version manifest. */
export function parseVersionManifest(body: string | Uint8Array, what = "version manifest"): VersionManifest {
  return parseWith(VersionManifestSchema, body, what);
}

/** Serialises a manifest or pointer deterministically (stable key order as built, 2-space indent). */
export function serializeJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
