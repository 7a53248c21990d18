/** A SQL string literal of `value` (single quotes doubled). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A quoted SQL identifier of `name` (double quotes doubled). */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL list literal of string values, e.g. `['a', 'b']`. */
export function sqlStringList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(", ")}]`;
}

/**
 * `read_parquet` of one path or a list of paths, with `options` (e.g. `union_by_name = true`). It never
 * reads `key=value` directories as columns: DuckDB's hive auto-detection would turn the partition
 * directories of a projection file (`year=2024/month=01/`) into columns, replacing a dataset column
 * named `year`, `month` or `day` with the directory's value.
 */
export function readParquet(files: string | readonly string[], options = ""): string {
  const list = typeof files === "string" ? sqlString(files) : sqlStringList(files);
  return `read_parquet(${list}, hive_partitioning = false${options ? `, ${options}` : ""})`;
}

/** COPY options of a file Tidemark publishes (events, projections): ZSTD Parquet. */
export const PUBLISHED_PARQUET = "FORMAT parquet, COMPRESSION zstd";

/**
 * COPY options of a version's event file (and of the changes file the delta writes in its form):
 * {@link PUBLISHED_PARQUET} without dictionary pages. Its `_key_hash` column is random and its rows
 * run across every partition, so the writer built dictionaries only to give them up: without them a
 * 10M-row event file took 1.8–2.3 s instead of 2.0–2.6 s and came out 2 % smaller (238.5 MB against
 * 244.1 MB). Projection months (one partition each, sorted by key) keep their dictionaries.
 */
export const EVENTS_PARQUET = `${PUBLISHED_PARQUET}, DICTIONARY_SIZE_LIMIT 1`;

/**
 * COPY options of a key index file: ZSTD at its fast level -1. Its hash columns (32 of a row's 36
 * bytes) are random and do not compress, so the default level spent its time for nothing: a 3M-row
 * index took 890 ms at the default level and 484 ms at -1 for a file 0.5 % larger (98.2 MB against
 * 97.7 MB); any ZSTD decoder reads either.
 */
export const INDEX_PARQUET = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL -1";

/**
 * COPY options of a run's scratch files (normalized rows, removals), read back once by the
 * same run: LZ4, measured about 30 % cheaper to write than ZSTD for 1M rows, files about 40 % larger.
 */
export const SCRATCH_PARQUET = "FORMAT parquet, COMPRESSION lz4_raw";
