/**
 * The shape of a dataset definition file (snake_case, as written in YAML/JSON).
 * Cross-field rules (key columns exist, format-specific options…) live in
 * `semantics.ts`; this module only describes fields, types and defaults.
 */
import { z } from "zod";
import { canonicalPartition, GRANULARITIES } from "./partition.js";

/** Column types a definition may declare. */
export const COLUMN_TYPES = ["string", "int", "double", "decimal", "bool", "date", "timestamp"] as const;
/** Source formats Tidemark reads. */
export const SOURCE_FORMATS = ["csv", "json", "ndjson", "xlsx", "parquet"] as const;

/** A column type name. */
export type ColumnType = (typeof COLUMN_TYPES)[number];
/** A source format name. */
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

const name = z.string().min(1);
const sourceColumn = z.union([z.string().min(1), z.int().min(1).transform(String)], {
  error: "must be a column name (or, for a header-less CSV, a 1-based column number)",
});

const sourceOptions = z.strictObject({
  delimiter: z.string().length(1, { error: "must be a single character" }).default(","),
  quote: z.string().length(1, { error: "must be a single character" }).default('"'),
  escape: z.string().length(1, { error: "must be a single character" }).optional(),
  header: z.boolean().default(true),
  encoding: z.enum(["utf-8", "utf8", "latin1", "iso-8859-1", "windows-1252", "cp1252"]).default("utf-8"),
  skip_rows: z.int().min(0).optional(),
  comment: z.string().length(1, { error: "must be a single character" }).optional(),
  null_values: z.array(z.string()).default([""]),
  records_path: z.string().min(1).optional(),
  sheet: z.union([z.string().min(1), z.int().min(0)], { error: "must be a sheet name or a 0-based sheet index" }).optional(),
  header_row: z.int().min(1).default(1),
  decimal_separator: z.enum([".", ","]).default("."),
  max_row_bytes: z.int().min(1).max(1024 * 1024 * 1024).default(64 * 1024 * 1024),
});

const push = z.strictObject({
  max_backlog_bytes: z.int().min(1).optional(),
  compact_bytes: z.int().min(1).optional(),
  compact_interval: z.string().optional(),
});

const source = z.strictObject({
  uri: z.string().min(1).optional(),
  format: z.enum(SOURCE_FORMATS).optional(),
  options: sourceOptions.default(() => sourceOptions.parse({})),
  push: push.optional(),
});

const column = z
  .strictObject({
    name,
    type: z.enum(COLUMN_TYPES),
    from: sourceColumn.optional(),
    format: z.string().min(1).optional(),
    decimal: z.enum(["string", "double"]).optional(),
    trim: z.boolean().default(true),
    nullable: z.boolean().default(true),
    true_values: z.array(z.string()).min(1).optional(),
    false_values: z.array(z.string()).min(1).optional(),
  })
  .transform((c) => ({ ...c, from: c.from ?? c.name }));

const unpivot = z.strictObject({
  id_columns: z.array(sourceColumn).min(1),
  value_columns: z.array(sourceColumn).min(1).optional(),
  value_pattern: z.string().min(1).optional(),
  name_to: name,
  value_to: name,
  skip_empty: z.boolean().default(true),
});

const partitionBy = z
  .union([name, z.strictObject({ column: name, granularity: z.enum(GRANULARITIES).default("month") })], {
    error: "must be a column name, or a mapping with column and granularity (year, month or day)",
  })
  .transform((p) => (typeof p === "string" ? p : canonicalPartition(p.column, p.granularity)));

const envHeader = z.string();

const notify = z.strictObject({
  url: z.string().min(1),
  headers: z.record(z.string().min(1), envHeader).optional(),
  timeout_ms: z.int().min(1).max(600_000).optional(),
});

const schedule = z.strictObject({
  every: z.string().optional(),
  cron: z.string().optional(),
});

/** The zod schema of a definition file; semantic checks run after it. */
export const definitionSchema = z.strictObject({
  id: z.string(),
  description: z.string().optional(),
  source,
  schema: z.strictObject({
    columns: z.array(column).min(1),
    key: z.array(name).min(1),
    partition_by: partitionBy,
  }),
  unpivot: unpivot.optional(),
  mode: z.enum(["upsert", "snapshot", "append"]).default("upsert"),
  allow_empty_snapshot: z.boolean().default(false),
  duplicates: z.enum(["error", "last_wins"]).default("error"),
  on_bad_rows: z.enum(["fail", "quarantine"]).default("fail"),
  projections: z.array(z.strictObject({ name: z.string() })).min(1).default([{ name: "latest" }]),
  notify: z.array(notify).default([]),
  schedule: schedule.optional(),
  max_parts: z.int().min(1).max(10_000).optional(),
});

type Parsed = z.output<typeof definitionSchema>;

/** Source options with defaults applied; options of other formats are present but unused. */
export type SourceOptions = Omit<Parsed["source"]["options"], "encoding" | "skip_rows"> & {
  /** Canonical encoding name. */
  encoding: "utf-8" | "windows-1252";
  /** CSV: lines skipped before the header. XLSX: rows skipped right after the header row. */
  skip_rows: number;
};

/** One column of `schema.columns` with defaults applied (`from` defaults to `name`). */
export type ColumnDefinition = Parsed["schema"]["columns"][number];

/** The `unpivot` block with defaults applied. */
export type UnpivotDefinition = NonNullable<Parsed["unpivot"]>;

/** Options of a push source (`source: { push: {} }`): records arrive over HTTP (`tidemark serve`, SPEC §11). */
export interface PushSource {
  /** Bound of the dataset's inbox backlog in bytes; the server's default when absent. */
  max_backlog_bytes?: number;
  /** Backlog bytes that start a compaction (default 8 MiB). */
  compact_bytes?: number;
  /** Age of the oldest fragment that starts a compaction, e.g. "5s" (the default). */
  compact_interval?: string;
}

/**
 * A validated dataset definition with every default applied. A push dataset has `source.push`,
 * `source.uri` `push:<id>` and `source.format` `ndjson` (the format of its inbox fragments).
 */
export type DatasetDefinition = Omit<Parsed, "source"> & {
  source: { uri: string; format: SourceFormat; options: SourceOptions; push?: PushSource };
};
