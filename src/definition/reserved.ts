/**
 * Names the engine gives its own columns next to a dataset's in its SQL (the events' `_op`,
 * `_key_hash` and `_version`; the delta's `_month`, `_row`, `_row_hash`, `_base_month`, `_kh`; the
 * projections' `_part` and `_ord`; verify's fold `_k`, `_r`, `_m`, `_v`; the file name column
 * `_file`; DuckDB's `file_row_number`, which its Parquet reader refuses to add to a file holding a
 * column of that name). A dataset column with one of these names would shadow or collide with the
 * engine's, so definitions refuse them.
 */
export const RESERVED_COLUMN_NAMES: ReadonlySet<string> = new Set([
  "_base_month", "_file", "_k", "_key_hash", "_kh", "_m", "_month", "_op", "_ord", "_part", "_r", "_row", "_row_hash", "_v", "_version", "file_row_number",
]);
